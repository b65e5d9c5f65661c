# asyncio.wait(FIRST_COMPLETED) returns as soon as one task is done; the
# others keep running and can be waited for again. Even when a task has
# already finished, wait still takes its loop hops before it returns.
import asyncio


async def job(name, ms):
    await asyncio.sleep(ms / 1000)
    print(f"{name} done")
    return name


async def ticker():
    for i in range(4):
        print(f"tick {i}")
        await asyncio.sleep(0)


async def main():
    tasks = [asyncio.create_task(job(n, ms)) for n, ms in (("a", 300), ("b", 100), ("c", 200))]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    print("first:", [t.result() for t in tasks if t in done], "pending:", len(pending))
    tk = asyncio.create_task(ticker())
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    print("again at once:", len(done), "done,", len(pending), "pending")
    done, pending = await asyncio.wait(tasks)
    print("all:", [t.result() for t in tasks], "pending:", len(pending))
    await tk


asyncio.run(main())
