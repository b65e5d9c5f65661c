"""bench/peers/python: weft's scheduler workloads written for asyncio.

    python3 peers.py LOOP WORKLOAD REPS A [B]

LOOP is asyncio (the default event loop) or uvloop. asyncio runs one thread:
there is no worker count. WORKLOAD and its sizes A, B:

    spawn_many    A tasks (empty) created from one task in a TaskGroup (no
                  task kept), all awaited by its exit
    yield_many    A tasks each yielding (await asyncio.sleep(0)) B times
    ping_pong     A pairs of tasks each doing B round trips
    chained_spawn a chain of A tasks (each creates the next), B times
    timers        A tasks each sleeping B ms: wall time
    spawn_await   A times: create one empty task and await it
    yield         A yields of a single task
    fan_out       A rounds of a two-level tree: B tasks each creating B tasks
                  (each yields once), every one awaited by its parent
    gather        A rounds of B tasks (each yields once) joined by
                  asyncio.gather
    lock          A tasks each taking an asyncio.Lock B times
    queue         A producers each putting B items into one
                  asyncio.Queue(1024), one consumer
    to_thread     A round trips through asyncio.to_thread (one at a time)
    process_pool  A round trips to a ProcessPoolExecutor of B processes
                  (loop.run_in_executor), one at a time
    memory        A tasks asleep at once (each counts itself, then sleeps
                  B ms): once all have counted, prints the nanoseconds that
                  took and exits at once (no warm-up); the caller reads the
                  peak RSS
    echo          a TCP echo server on 127.0.0.1 (A is the port, 0: any),
                  asyncio streams; prints "listening on 127.0.0.1:PORT" and
                  serves forever

One warm-up run (with A/10) and then REPS runs, each timed inside the loop
around the workload alone. Prints one line per timed run: nanoseconds per
operation (per task, yield, round trip, chained task, sleeping task,
create+await, yield).
"""

import asyncio
import concurrent.futures
import os
import sys
from time import perf_counter_ns


def usage():
    print("usage: peers.py asyncio|uvloop WORKLOAD REPS A [B]", file=sys.stderr)
    sys.exit(2)


async def empty():
    pass


# Each workload returns (elapsed ns, operations done).


async def spawn_many(n, _b):
    t0 = perf_counter_ns()
    async with asyncio.TaskGroup() as tg:
        for _ in range(n):
            tg.create_task(empty())
    return perf_counter_ns() - t0, n


async def yielder(yields):
    for _ in range(yields):
        await asyncio.sleep(0)


async def yield_many(tasks, yields):
    t0 = perf_counter_ns()
    ts = [asyncio.create_task(yielder(yields)) for _ in range(tasks)]
    for t in ts:
        await t
    return perf_counter_ns() - t0, tasks * yields


async def ponger(ping, pong):
    while await ping.get() is not None:
        await pong.put(True)


async def pinger(trips):
    # One pair: this task pings, a task it creates pongs, over two queues of
    # size 1 (asyncio's task-to-task channel).
    ping = asyncio.Queue(1)
    pong = asyncio.Queue(1)
    other = asyncio.create_task(ponger(ping, pong))
    for _ in range(trips):
        await ping.put(True)
        await pong.get()
    await ping.put(None)
    await other


async def ping_pong(pairs, trips):
    t0 = perf_counter_ns()
    ts = [asyncio.create_task(pinger(trips)) for _ in range(pairs)]
    for t in ts:
        await t
    return perf_counter_ns() - t0, pairs * trips


def chain(left, done):
    # Creates the next link; the last one signals done. A task the loop has
    # scheduled is referenced by the loop until it runs.
    if left == 0:
        done.set_result(None)
    else:
        asyncio.get_running_loop().create_task(link(left - 1, done))


async def link(left, done):
    chain(left, done)


async def chained_spawn(length, times):
    loop = asyncio.get_running_loop()
    t0 = perf_counter_ns()
    for _ in range(times):
        done = loop.create_future()
        chain(length, done)
        await done
    return perf_counter_ns() - t0, length * times


async def timers(tasks, ms):
    s = ms / 1000
    t0 = perf_counter_ns()
    async with asyncio.TaskGroup() as tg:
        for _ in range(tasks):
            tg.create_task(asyncio.sleep(s))
    return perf_counter_ns() - t0, tasks


async def spawn_await(n, _b):
    t0 = perf_counter_ns()
    for _ in range(n):
        await asyncio.create_task(empty())
    return perf_counter_ns() - t0, n


async def yield_alone(n, _b):
    t0 = perf_counter_ns()
    for _ in range(n):
        await asyncio.sleep(0)
    return perf_counter_ns() - t0, n


async def yield_once():
    await asyncio.sleep(0)


async def fan_node(width):
    leaves = [asyncio.create_task(yield_once()) for _ in range(width)]
    for t in leaves:
        await t


async def fan_out(rounds, width):
    t0 = perf_counter_ns()
    for _ in range(rounds):
        nodes = [asyncio.create_task(fan_node(width)) for _ in range(width)]
        for t in nodes:
            await t
    return perf_counter_ns() - t0, rounds * (width + width * width)


async def gather(rounds, width):
    t0 = perf_counter_ns()
    for _ in range(rounds):
        await asyncio.gather(*(yield_once() for _ in range(width)))
    return perf_counter_ns() - t0, rounds * width


async def lock(tasks, times):
    lk = asyncio.Lock()
    count = [0]

    async def taker():
        for _ in range(times):
            async with lk:
                count[0] += 1

    t0 = perf_counter_ns()
    ts = [asyncio.create_task(taker()) for _ in range(tasks)]
    for t in ts:
        await t
    ns = perf_counter_ns() - t0
    assert count[0] == tasks * times
    return ns, tasks * times


async def queue(producers, items):
    q = asyncio.Queue(1024)

    async def producer():
        for i in range(items):
            await q.put(i)

    t0 = perf_counter_ns()
    ts = [asyncio.create_task(producer()) for _ in range(producers)]
    for _ in range(producers * items):
        await q.get()
    for t in ts:
        await t
    return perf_counter_ns() - t0, producers * items


def inc(i):
    return i + 1


async def to_thread(n, _b):
    t0 = perf_counter_ns()
    for i in range(n):
        assert await asyncio.to_thread(inc, i) == i + 1
    return perf_counter_ns() - t0, n


async def process_pool(n, procs):
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(max(procs, 1)) as pool:
        # Start the processes before the clock.
        for i in range(max(procs, 1)):
            await loop.run_in_executor(pool, inc, i)
        t0 = perf_counter_ns()
        for i in range(n):
            assert await loop.run_in_executor(pool, inc, i) == i + 1
        ns = perf_counter_ns() - t0
    return ns, n


async def memory(n, ms):
    started = [0]
    s = ms / 1000

    async def sleeper():
        started[0] += 1
        await asyncio.sleep(s)

    t0 = perf_counter_ns()
    ts = [asyncio.create_task(sleeper()) for _ in range(n)]
    while started[0] < n:
        await asyncio.sleep(0.001)
    print(perf_counter_ns() - t0, flush=True)
    del ts
    os._exit(0)


async def echo_conn(reader, writer):
    while data := await reader.read(16384):
        writer.write(data)
        await writer.drain()
    writer.close()


async def echo(port, _b):
    server = await asyncio.start_server(echo_conn, "127.0.0.1", port)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


WORKLOADS = {
    "spawn_many": spawn_many,
    "yield_many": yield_many,
    "ping_pong": ping_pong,
    "chained_spawn": chained_spawn,
    "timers": timers,
    "spawn_await": spawn_await,
    "yield": yield_alone,
    "fan_out": fan_out,
    "gather": gather,
    "lock": lock,
    "queue": queue,
    "to_thread": to_thread,
    "process_pool": process_pool,
    "memory": memory,
    "echo": echo,
}


async def main(work, reps, a, b):
    if work in (memory, echo):  # once, no warm-up
        await work(a, b)
        return
    for rep in range(reps + 1):
        # The first run warms up with a tenth of A and is not printed.
        ns, ops = await work(max(a // 10, 1) if rep == 0 else a, b)
        if rep > 0:
            print(f"{ns / ops:.3f}", flush=True)


def run():
    if len(sys.argv) < 5 or sys.argv[2] not in WORKLOADS:
        usage()
    try:
        reps, a = int(sys.argv[3]), int(sys.argv[4])
        b = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    except ValueError:
        usage()
    coro = main(WORKLOADS[sys.argv[2]], reps, a, b)
    if sys.argv[1] == "uvloop":
        import uvloop

        uvloop.install()
    elif sys.argv[1] != "asyncio":
        usage()
    asyncio.run(coro)


if __name__ == "__main__":
    run()
