# Timers fire in deadline order, whatever order they were armed in; a zero
# sleep is only a yield and comes before them all.
import asyncio


async def sleeper(name, ms):
    await asyncio.sleep(ms / 1000)
    print(f"{name} woke after {ms} ms")


async def main():
    tasks = [
        asyncio.create_task(sleeper("a", 300)),
        asyncio.create_task(sleeper("b", 100)),
        asyncio.create_task(sleeper("c", 200)),
        asyncio.create_task(sleeper("d", 0)),
    ]
    await asyncio.gather(*tasks)
    print("main done")


asyncio.run(main())
