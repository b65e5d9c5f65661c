# A TaskGroup: the first failing child cancels the other children and the
# body; leaving the group awaits all; the failure is reported.
import asyncio


async def child(name, delay, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name} cancelled")
        raise
    if fail:
        print(f"{name} fails")
        raise ValueError(name)
    print(f"{name} done")
    return name


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("a", 0.01))
            tg.create_task(child("b", 0.08, fail=True))
            tg.create_task(child("c", 1))
            try:
                await asyncio.sleep(2)
            except asyncio.CancelledError:
                print("body cancelled")
                raise
    except* ValueError as eg:
        print("errors:", [str(e) for e in eg.exceptions])
    print("after group")
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(child("x", 0.08))
        t2 = tg.create_task(child("y", 0.01))
    print("results:", t1.result(), t2.result())


asyncio.run(main())
