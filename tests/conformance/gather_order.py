# create_task then gather: the tasks finish in deadline order (b, c, a), but
# gather returns their results in argument order.
import asyncio


async def work(name, ms, value):
    print(f"{name}: start, sleep {ms} ms")
    await asyncio.sleep(ms / 1000)
    print(f"{name}: done")
    return value


async def main():
    tasks = [
        asyncio.create_task(work("a", 30, 1)),
        asyncio.create_task(work("b", 10, 2)),
        asyncio.create_task(work("c", 20, 3)),
    ]
    print("main: tasks created")
    results = await asyncio.gather(*tasks)
    print(f"main: results={results}")


asyncio.run(main())
