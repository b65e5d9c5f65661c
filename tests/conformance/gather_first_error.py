# gather without return_exceptions returns at the first failure; the other
# tasks keep running and can still be awaited.
import asyncio
import errno
import os


async def ok(i, ms):
    await asyncio.sleep(ms / 1000)
    print(f"task {i} succeeds")
    return ms


async def fail(i, ms):
    await asyncio.sleep(ms / 1000)
    print(f"task {i} fails")
    raise OSError(errno.EIO, os.strerror(errno.EIO))


async def main():
    slow = asyncio.create_task(ok(0, 30))
    bad = asyncio.create_task(fail(1, 10))
    try:
        await asyncio.gather(slow, bad)
    except OSError as e:
        print(f"main: gather raised: {os.strerror(e.errno)}")
    print(f"main: slow still running: {not slow.done()}")
    r = await slow
    print(f"main: slow returned {r}")


asyncio.run(main())
