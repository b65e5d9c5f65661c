# A task creates a task and then ends: the new task was queued before the
# awaiter's wake-up, so it runs first.
import asyncio


async def z():
    print("z runs")


async def y():
    print("y creates z")
    zt = asyncio.create_task(z())
    print("y returns")
    return zt


async def main():
    t = asyncio.create_task(y())
    zt = await t
    print("main resumes")
    await zt
    print("main done")


asyncio.run(main())
