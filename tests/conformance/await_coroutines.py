# Seed 001: awaiting a coroutine does not yield to the event loop, so task_b
# (created first) runs only when main awaits it: it prints last.
import asyncio


async def coro_a():
    print("I am coro_a(). Hi!")


async def coro_b():
    print("I am coro_b(). I sure hope no one hogs the event loop...")


async def main():
    task_b = asyncio.create_task(coro_b())
    for _ in range(3):
        await coro_a()
    await task_b


asyncio.run(main())
