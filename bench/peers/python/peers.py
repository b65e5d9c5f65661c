"""bench/peers/python: weft's scheduler workloads written for asyncio.

    python3 peers.py LOOP WORKLOAD REPS A [B]

LOOP is asyncio (the default event loop) or uvloop. asyncio runs one thread:
there is no worker count. WORKLOAD and its sizes A, B:

    spawn_many    A tasks (empty) created from one task, then all awaited
    yield_many    A tasks each yielding (await asyncio.sleep(0)) B times
    ping_pong     A pairs of tasks each doing B round trips
    chained_spawn a chain of A tasks (each creates the next), B times
    timers        A tasks each sleeping B ms: wall time
    spawn_await   A times: create one empty task and await it
    yield         A yields of a single task

One warm-up run (with A/10) and then REPS runs, each timed inside the loop
around the workload alone. Prints one line per timed run: nanoseconds per
operation (per task, yield, round trip, chained task, sleeping task,
create+await, yield).
"""

import asyncio
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
    tasks = [asyncio.create_task(empty()) for _ in range(n)]
    for t in tasks:
        await t
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
    ts = [asyncio.create_task(asyncio.sleep(s)) for _ in range(tasks)]
    for t in ts:
        await t
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


WORKLOADS = {
    "spawn_many": spawn_many,
    "yield_many": yield_many,
    "ping_pong": ping_pong,
    "chained_spawn": chained_spawn,
    "timers": timers,
    "spawn_await": spawn_await,
    "yield": yield_alone,
}


async def main(work, reps, a, b):
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
