# Cancelling a task blocked in gather cancels every gathered task at once;
# the gathering task sees CancelledError after all of them have finished
# their clean-up, two loop hops after the last one.
import asyncio


async def child(name, delay):
    try:
        await asyncio.sleep(delay)
        print(f"{name}: done")
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        await asyncio.sleep(0)
        print(f"{name}: cleaned up")
        raise


async def gatherer(tasks):
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        print("gatherer: CancelledError")
        raise


async def ticker():
    for i in range(5):
        print(f"ticker: {i}")
        await asyncio.sleep(0)


async def main():
    tasks = [asyncio.create_task(child(n, 10)) for n in ("a", "b")]
    g = asyncio.create_task(gatherer(tasks))
    await asyncio.sleep(0)
    tk = asyncio.create_task(ticker())
    print("main: cancel gatherer:", g.cancel())
    try:
        await g
    except asyncio.CancelledError:
        print("main: gatherer cancelled:", g.cancelled())
    print("main: children cancelled:", [t.cancelled() for t in tasks])
    await tk


asyncio.run(main())
