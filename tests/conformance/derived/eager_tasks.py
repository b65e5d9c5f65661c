# Derived (CPython 3.12+, eager_task_factory; see README).
# An eager task runs at once, inside create_task, until its first
# suspension: one that never suspends is done before create_task returns,
# ahead of a lazy task queued earlier.
import asyncio


async def ticker(n):
    for i in range(n):
        print(f"tick {i}")
        await asyncio.sleep(0)


async def quick(name):
    print(f"{name} runs at once")
    return name


async def slow(name):
    print(f"{name} starts at once")
    await asyncio.sleep(0)
    print(f"{name} resumes later")
    return name


async def main():
    tk = asyncio.create_task(ticker(3))  # lazy: queued
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    print("main: creating q")
    q = asyncio.create_task(quick("q"))
    print(f"main: q done already: {q.done()}")
    s = asyncio.create_task(slow("s"))
    print(f"main: s done already: {s.done()}")
    print(f"main: got {await q}")
    print(f"main: got {await s}")
    await tk


asyncio.run(main())
