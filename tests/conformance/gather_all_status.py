# gather(..., return_exceptions=True) waits for every task and reports each
# one's outcome in argument order: a result, a failure or a cancellation.
import asyncio
import errno
import os


async def ok(i, ms):
    await asyncio.sleep(ms / 1000)
    print(f"task {i} succeeds")
    return i * 10


async def fail(i, ms):
    await asyncio.sleep(ms / 1000)
    print(f"task {i} fails")
    raise OSError(errno.EIO, os.strerror(errno.EIO))


async def never(i):
    print(f"task {i} never runs")


async def main():
    tasks = [
        asyncio.create_task(ok(0, 30)),
        asyncio.create_task(fail(1, 10)),
        asyncio.create_task(never(2)),
        asyncio.create_task(ok(3, 20)),
    ]
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for i, r in enumerate(results):
        if isinstance(r, asyncio.CancelledError):
            print(f"task {i}: cancelled")
        elif isinstance(r, OSError):
            print(f"task {i}: failed: {os.strerror(r.errno)}")
        else:
            print(f"task {i}: ok, result {r}")


asyncio.run(main())
