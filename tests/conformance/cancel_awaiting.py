# Cancelling a task that awaits another task cancels the other one at once
# (Task.cancel cancels the future it waits on), so the inner task's clean-up
# runs before tasks queued after the cancel; the outer task sees
# CancelledError only when the inner one has finished.
import asyncio


async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner: cancelled, cleaning up")
        raise


async def outer(t):
    try:
        await t
    except asyncio.CancelledError:
        print("outer: await raised CancelledError")
        raise


async def bystander():
    print("bystander: runs")


async def main():
    ti = asyncio.create_task(inner())
    to = asyncio.create_task(outer(ti))
    await asyncio.sleep(0)
    print("main: cancel outer:", to.cancel())
    tb = asyncio.create_task(bystander())
    await asyncio.sleep(0)
    print("main: after one hop")
    try:
        await to
    except asyncio.CancelledError:
        print("main: outer cancelled:", to.cancelled())
    print("main: inner cancelled:", ti.cancelled())
    await tb


asyncio.run(main())
