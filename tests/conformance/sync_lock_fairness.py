# Three tasks take a Lock three times each, yielding while they hold it: the
# lock goes round in FIFO order, and a task that releases and asks again
# queues behind the waiters (no barging).
import asyncio


async def worker(name, lock):
    for i in range(3):
        async with lock:
            print(f"{name} got {i}")
            await asyncio.sleep(0)
        print(f"{name} released {i}")


async def main():
    lock = asyncio.Lock()
    ts = [asyncio.create_task(worker(n, lock)) for n in "abc"]
    await asyncio.gather(*ts)
    print("locked:", lock.locked())


asyncio.run(main())
