# Seed 001: awaiting a task yields to the event loop, which runs the ready
# tasks in the order they were created: task_b (created first) prints first.
import asyncio


async def coro_a():
    print("I am coro_a(). Hi!")


async def coro_b():
    print("I am coro_b(). I sure hope no one hogs the event loop...")


async def main():
    task_b = asyncio.create_task(coro_b())
    tasks_a = [asyncio.create_task(coro_a()) for _ in range(3)]
    for task_a in tasks_a:
        await task_a
    await task_b


asyncio.run(main())
