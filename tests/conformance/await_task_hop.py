# A finished task wakes its awaiter through one trip round the loop: a ticker
# that yields every iteration shows exactly when main resumes.
import asyncio


async def ticker(n):
    for i in range(n):
        print(f"tick {i}")
        await asyncio.sleep(0)


async def short():
    print("short: start")
    await asyncio.sleep(0)
    print("short: end")
    return 1


async def main():
    tk = asyncio.create_task(ticker(6))
    t = asyncio.create_task(short())
    r = await t
    print(f"main: got {r}")
    await tk
    print("main: done")


asyncio.run(main())
