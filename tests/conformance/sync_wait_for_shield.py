# wait_for cancels the task it awaits when the time is up and raises
# TimeoutError; shield lets the awaiting task be cancelled while the
# shielded task runs on.
import asyncio


async def slow():
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        print("slow cancelled")
        raise


async def fast():
    await asyncio.sleep(0.01)
    return 42


async def inner():
    await asyncio.sleep(0.1)
    print("inner done")
    return 7


async def outer(t):
    try:
        return await asyncio.shield(t)
    except asyncio.CancelledError:
        print("outer cancelled")
        raise


async def main():
    t = asyncio.create_task(slow())
    try:
        await asyncio.wait_for(t, 0.02)
    except TimeoutError:
        print("wait_for timed out")
    print("slow cancelled:", t.cancelled())
    print("fast:", await asyncio.wait_for(asyncio.create_task(fast()), 1))
    t = asyncio.create_task(inner())
    o = asyncio.create_task(outer(t))
    await asyncio.sleep(0.01)
    o.cancel()
    try:
        await o
    except asyncio.CancelledError:
        print("outer task cancelled:", o.cancelled())
    print("inner done yet:", t.done())
    print("inner result:", await t)


asyncio.run(main())
