# Several tasks await the same task: when it ends they resume in the order
# they started waiting, one loop iteration later.
import asyncio


async def target():
    print("target runs")
    await asyncio.sleep(0)
    print("target ends")
    return 5


async def waiter(name, t):
    print(f"{name} awaits")
    r = await t
    print(f"{name} got {r}")


async def main():
    t = asyncio.create_task(target())
    ws = [asyncio.create_task(waiter(name, t)) for name in ("w1", "w2", "w3")]
    for w in ws:
        await w
    print("main done")


asyncio.run(main())
