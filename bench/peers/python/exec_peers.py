"""bench/peers/python/exec_peers.py: issue 7's executor round trips in asyncio.

    python3 exec_peers.py REPS N

    to_thread        await asyncio.to_thread(f) of an empty function
    procpool_empty   await loop.run_in_executor(pool, echo, b"")
    procpool_1MiB    the same with 1 MiB each way

The process pool has one worker (as bench_exec's weft runs use one), started
and warmed up before timing. One warm-up round of N/10, then REPS timed
rounds of N operations each, timed inside the loop; prints one line per
round: name and microseconds per operation.
"""

import asyncio
import sys
from concurrent.futures import ProcessPoolExecutor
from time import perf_counter_ns


def empty():
    return None


def echo(b):
    return b


async def rounds(name, reps, n, op):
    for _ in range(max(1, n // 10)):
        await op()
    for _ in range(reps):
        t0 = perf_counter_ns()
        for _ in range(n):
            await op()
        us = (perf_counter_ns() - t0) / n / 1000
        print(f"{name} {us:.1f} us/op", flush=True)


async def main(reps, n):
    loop = asyncio.get_running_loop()
    await rounds("to_thread", reps, n, lambda: asyncio.to_thread(empty))
    big = b"x" * (1 << 20)
    with ProcessPoolExecutor(max_workers=1) as pool:
        await rounds("procpool_empty", reps, n,
                     lambda: loop.run_in_executor(pool, echo, b""))
        await rounds("procpool_1MiB", reps, max(1, n // 10),
                     lambda: loop.run_in_executor(pool, echo, big))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: exec_peers.py REPS N", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
