# Cancelling a sleeping task: its sleep raises CancelledError. A task that
# lets it out ends cancelled; one that swallows it and returns a value ends
# with that value, not cancelled.
import asyncio


async def sleeper():
    print("sleeper: sleeping")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("sleeper: got CancelledError, cleaning up")
        raise


async def stubborn():
    print("stubborn: sleeping")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("stubborn: swallowed CancelledError")
    return 42


async def main():
    t = asyncio.create_task(sleeper())
    s = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    print(f"main: cancel returned {t.cancel()}")
    try:
        await t
    except asyncio.CancelledError:
        print("main: await raised CancelledError")
    print(f"main: sleeper cancelled: {t.cancelled()}")
    s.cancel()
    r = await s
    print(f"main: stubborn returned {r}, cancelled: {s.cancelled()}")


asyncio.run(main())
