# Tasks that create tasks: every creator runs on until it awaits, then its
# children run in creation order, one generation per loop iteration.
import asyncio


async def grandchild(name):
    print(f"grandchild {name} runs")


async def child(name):
    print(f"child {name} starts")
    g = asyncio.create_task(grandchild(f"{name}.1"))
    print(f"child {name} created {name}.1")
    await g
    print(f"child {name} ends")


async def parent():
    print("parent starts")
    c1 = asyncio.create_task(child("1"))
    c2 = asyncio.create_task(child("2"))
    print("parent created 1 and 2")
    await c1
    await c2
    print("parent ends")


async def main():
    p = asyncio.create_task(parent())
    print("main created parent")
    await p
    print("main done")


asyncio.run(main())
