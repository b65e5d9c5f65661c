# A Semaphore(2) admits two tasks at a time, in FIFO order; a
# BoundedSemaphore refuses a release above its start.
import asyncio


async def worker(name, sem):
    async with sem:
        print(f"{name} in")
        await asyncio.sleep(0)
        print(f"{name} out")


async def main():
    sem = asyncio.Semaphore(2)
    await asyncio.gather(*(worker(n, sem) for n in "abcde"))
    bs = asyncio.BoundedSemaphore(1)
    try:
        bs.release()
    except ValueError:
        print("bounded: ValueError")


asyncio.run(main())
