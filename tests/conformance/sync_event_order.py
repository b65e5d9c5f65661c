# Event.set wakes every waiter in the order they came; a waiter cancelled
# after the set does not stop the others; after clear, a new waiter waits.
import asyncio


async def waiter(name, ev):
    await ev.wait()
    print(f"{name} woke")


async def main():
    ev = asyncio.Event()
    ts = [asyncio.create_task(waiter(n, ev)) for n in "abcd"]
    await asyncio.sleep(0)
    print("setting")
    ev.set()
    ts[1].cancel()
    await asyncio.gather(*ts, return_exceptions=True)
    print("cancelled:", [t.cancelled() for t in ts])
    ev.clear()
    t = asyncio.create_task(waiter("e", ev))
    await asyncio.sleep(0)
    print("e waiting:", not t.done())
    ev.set()
    await t
    print("is_set:", ev.is_set())


asyncio.run(main())
