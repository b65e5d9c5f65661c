# Awaiting a task that has already finished does not yield: "other", ready
# before main awaits, must not run in between.
import asyncio


async def quick():
    print("quick runs")
    return 7


async def other():
    print("other runs")


async def main():
    t = asyncio.create_task(quick())
    await asyncio.sleep(0)
    print(f"main: quick done: {t.done()}")
    o = asyncio.create_task(other())
    print("main: before await")
    r = await t
    print(f"main: after await, got {r}")
    await o
    print("main: done")


asyncio.run(main())
