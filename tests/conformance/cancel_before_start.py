# A task cancelled before its first run never enters its coroutine; cancel()
# on a finished task does nothing and returns False.
import asyncio


async def never():
    print("never printed")


async def main():
    t = asyncio.create_task(never())
    print(f"cancel returned {t.cancel()}")
    try:
        await t
    except asyncio.CancelledError:
        print("await raised CancelledError")
    print(f"cancelled: {t.cancelled()}")
    print(f"cancel again returned {t.cancel()}")


asyncio.run(main())
