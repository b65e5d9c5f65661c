# gather completes through two trips round the loop: each child's done
# callback runs one iteration after the child ends, and the last one wakes
# main one iteration later. A ticker shows exactly when main resumes.
import asyncio


async def ticker(n):
    for i in range(n):
        print(f"tick {i}")
        await asyncio.sleep(0)


async def child(name):
    print(f"{name} runs")
    return name


async def main():
    tk = asyncio.create_task(ticker(6))
    a = asyncio.create_task(child("a"))
    b = asyncio.create_task(child("b"))
    results = await asyncio.gather(a, b)
    print(f"main: gather returned {results}")
    await tk
    print("main: done")


asyncio.run(main())
