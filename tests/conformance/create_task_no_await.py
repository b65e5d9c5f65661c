# Seed 000: main creates two tasks and returns without awaiting them. They
# still run: the loop stops one iteration after main finishes, and the tasks
# were queued before that.
import asyncio


async def add_ab(a, b):
    print(f"a+b={a + b}")


async def main():
    asyncio.create_task(add_ab(2, 3))
    asyncio.create_task(add_ab(3, 4))


if __name__ == "__main__":
    asyncio.run(main())
