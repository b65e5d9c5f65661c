# Tasks created in a row run in creation order (FIFO), and only once the
# creator yields: main prints before any child runs.
import asyncio


async def child(i):
    print(f"child {i}")


async def main():
    tasks = [asyncio.create_task(child(i)) for i in range(5)]
    print("main: created 5 tasks")
    for t in tasks:
        await t
    print("main: done")


asyncio.run(main())
