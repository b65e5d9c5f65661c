# A bounded Queue between a producer and a consumer: put waits while the
# queue is full, get while it is empty; the interleaving of their prints is
# asyncio's wake order. Then LIFO and priority orders, and the non-waiting
# forms.
import asyncio


async def producer(q):
    for i in range(6):
        await q.put(i)
        print(f"put {i}")
    await q.put(-1)


async def consumer(q):
    while True:
        item = await q.get()
        q.task_done()
        if item < 0:
            break
        print(f"got {item}")


async def main():
    q = asyncio.Queue(maxsize=2)
    p = asyncio.create_task(producer(q))
    c = asyncio.create_task(consumer(q))
    await q.join()
    print("joined")
    await asyncio.gather(p, c)
    lq = asyncio.LifoQueue()
    for i in range(4):
        lq.put_nowait(i)
    print("lifo:", [lq.get_nowait() for _ in range(4)])
    pq = asyncio.PriorityQueue()
    for prio in [5, 1, 3, 0, 4]:
        pq.put_nowait((prio, prio * 10))
    print("priority:", [pq.get_nowait()[1] for _ in range(5)])
    q2 = asyncio.Queue(maxsize=1)
    q2.put_nowait(1)
    try:
        q2.put_nowait(2)
    except asyncio.QueueFull:
        print("full")
    q2.get_nowait()
    try:
        q2.get_nowait()
    except asyncio.QueueEmpty:
        print("empty")


asyncio.run(main())
