# Condition.notify(n) wakes the n oldest waiters, notify_all the rest, each
# re-taking the lock before it returns.
import asyncio


async def waiter(name, cond):
    async with cond:
        print(f"{name} waits")
        await cond.wait()
        print(f"{name} notified")


async def main():
    cond = asyncio.Condition()
    ts = [asyncio.create_task(waiter(n, cond)) for n in "abcde"]
    await asyncio.sleep(0)
    async with cond:
        print("notify 1")
        cond.notify(1)
    await asyncio.sleep(0)
    async with cond:
        print("notify 2")
        cond.notify(2)
    await asyncio.sleep(0)
    async with cond:
        print("notify all")
        cond.notify_all()
    await asyncio.gather(*ts)
    print("done")


asyncio.run(main())
