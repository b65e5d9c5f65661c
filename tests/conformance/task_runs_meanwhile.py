# Seed 003: a task starts running as soon as its creator yields, so it makes
# progress while main does other things, and main collects it later.
import asyncio


async def work(n):
    print(f"work({n}) starts")
    await asyncio.sleep(0.040)
    print(f"work({n}) ends")
    return n * 2


async def main():
    t = asyncio.create_task(work(10))  # starts running now
    print("main: task created")
    await asyncio.sleep(0.020)  # do other things meanwhile
    print("main: slept")
    print(await t)  # collect the result later


asyncio.run(main())
