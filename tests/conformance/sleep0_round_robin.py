# sleep(0) moves a task to the back of the ready queue: three tasks that
# print and yield three times interleave A B C, A B C, A B C.
import asyncio


async def worker(name):
    for i in range(3):
        print(f"{name} {i}")
        await asyncio.sleep(0)
    print(f"{name} done")


async def main():
    tasks = [asyncio.create_task(worker(name)) for name in "ABC"]
    await asyncio.gather(*tasks)
    print("main done")


asyncio.run(main())
