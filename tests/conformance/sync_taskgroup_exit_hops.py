# Where a TaskGroup's exit resumes, in loop hops: asyncio discards a finished
# child only in its done-callback, one hop after the child finished, and that
# callback's future resumes the owner one hop later. A task printing once a
# hop shows the place: the child finishing in the batch in which the owner
# reaches the exit (a), two batches before it (b), still running at the exit
# (c).
import asyncio


async def child(name, yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    print(name)


async def other(tag):
    for i in range(6):
        print(f"{tag}{i}")
        await asyncio.sleep(0)


async def case(tag, body_yields, child_yields):
    o = asyncio.ensure_future(other(tag))
    async with asyncio.TaskGroup() as g:
        g.create_task(child(f"{tag}-child", child_yields))
        for _ in range(body_yields):
            await asyncio.sleep(0)
        print(f"{tag}-body-end")
    print(f"{tag}-after")
    await o


async def main():
    await case("a", 1, 0)
    await case("b", 2, 0)
    await case("c", 0, 2)


asyncio.run(main())
