# asyncio.timeout: an expired scope cancels its body and only its own exit
# raises TimeoutError; nested scopes, the innermost expiring first or the
# outer; a deadline moved while the scope is open.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(0.02):
            await asyncio.sleep(1)
    except TimeoutError:
        print("timed out")
    try:
        async with asyncio.timeout(1):
            try:
                async with asyncio.timeout(0.02):
                    await asyncio.sleep(1)
            except TimeoutError:
                print("inner timed out")
            await asyncio.sleep(0.01)
            print("outer body goes on")
    except TimeoutError:
        print("outer timed out (wrong)")
    try:
        async with asyncio.timeout(0.02):
            try:
                async with asyncio.timeout(1):
                    await asyncio.sleep(1)
            except asyncio.CancelledError:
                print("inner scope passes the cancellation on")
                raise
    except TimeoutError:
        print("outer timed out")
    try:
        async with asyncio.timeout(1) as cm:
            cm.reschedule(loop.time() + 0.02)
            await asyncio.sleep(1)
    except TimeoutError:
        print("rescheduled scope timed out")
    print("expired:", cm.expired())
    async with asyncio.timeout(None) as cm:
        await asyncio.sleep(0.01)
    print("no deadline:", cm.when())


asyncio.run(main())
