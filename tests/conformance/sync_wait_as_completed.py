# asyncio.wait with FIRST_EXCEPTION and ALL_COMPLETED, and as_completed
# yielding tasks in the order they finish.
import asyncio


async def job(name, delay, fail=False):
    await asyncio.sleep(delay)
    if fail:
        raise ValueError(name)
    return name


async def main():
    ts = [
        asyncio.create_task(job("a", 0.01)),
        asyncio.create_task(job("b", 0.08, True)),
        asyncio.create_task(job("c", 0.2)),
    ]
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    print("first exception: done", [t in done for t in ts])
    done, pending = await asyncio.wait(ts, return_when=asyncio.ALL_COMPLETED)
    print("all completed: done", [t in done for t in ts], len(pending))
    us = [asyncio.create_task(job(n, d)) for n, d in [("x", 0.2), ("y", 0.01), ("z", 0.1)]]
    for f in asyncio.as_completed(us):
        print("completed", await f)


asyncio.run(main())
