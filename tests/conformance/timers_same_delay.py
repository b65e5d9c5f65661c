# Tasks started in order that sleep for the same time wake in that order.
import asyncio


async def sleeper(i):
    print(f"task {i} sleeps")
    await asyncio.sleep(0.020)
    print(f"task {i} woke")


async def main():
    tasks = [asyncio.create_task(sleeper(i)) for i in range(5)]
    for t in tasks:
        await t
    print("main done")


asyncio.run(main())
