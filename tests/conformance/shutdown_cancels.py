# When main returns, asyncio.run cancels the tasks still pending and waits
# for them: a sleeping task gets CancelledError and can clean up.
import asyncio


async def sleeper():
    print("sleeper: start")
    try:
        await asyncio.sleep(10)
        print("sleeper: woke (never printed)")
    except asyncio.CancelledError:
        print("sleeper: cancelled at shutdown")
        raise


async def main():
    asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    print("main: returns")


asyncio.run(main())
