# Cancelling sleeping tasks wakes them in the order they were cancelled, on
# the next loop iteration, after the canceller suspends.
import asyncio


async def sleeper(i):
    print(f"sleeper {i} sleeps")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"sleeper {i} cancelled")
        raise


async def main():
    tasks = [asyncio.create_task(sleeper(i)) for i in range(3)]
    await asyncio.sleep(0)
    for t in tasks:
        t.cancel()
    print("main cancelled all three")
    results = await asyncio.gather(*tasks, return_exceptions=True)
    print(f"cancelled: {[isinstance(r, asyncio.CancelledError) for r in results]}")


asyncio.run(main())
