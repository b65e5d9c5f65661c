# A chain of tasks, each awaiting the one before: every link resumes one loop
# iteration after the previous ends, so a ticker's ticks fall between them.
import asyncio


async def ticker(n):
    for i in range(n):
        print(f"tick {i}")
        await asyncio.sleep(0)


async def link(i, prev):
    if prev is None:
        await asyncio.sleep(0)
    else:
        await prev
    print(f"link {i} done")


async def main():
    tk = asyncio.create_task(ticker(7))
    prev = None
    for i in range(4):
        prev = asyncio.create_task(link(i, prev))
    await prev
    print("main: chain done")
    await tk


asyncio.run(main())
