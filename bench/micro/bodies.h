/*
 * bench/micro/bodies.h: the benchmark bodies, in C.
 *
 * Each body runs `iters` operations of one workload and returns the elapsed
 * wall time in nanoseconds for exactly those operations, measured inside the
 * runtime (around the loop, after a short warm-up), so the cost of weft_run
 * itself (thread start, slab mapping, shutdown) is not counted. Every body
 * except bench_ctx_switch runs its own weft_run with a main task that does
 * the loop. A failure aborts with a message: a benchmark that silently did
 * less work would report a flattering time.
 *
 * bench/micro/shim.cc registers them with Google Benchmark; bench/micro/count.c
 * runs them with a fixed count under callgrind.
 */
#ifndef WEFT_BENCH_BODIES_H
#define WEFT_BENCH_BODIES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tasks per round of bench_spawn_gather; tasks per round of bench_timers and
 * the sleep each one takes. */
#define BENCH_GATHER_N 10000
#define BENCH_TIMER_TASKS 1000
#define BENCH_TIMER_SLEEP_MS 1

/* Operation: spawn an empty task, await it, detach it (one at a time). */
uint64_t bench_spawn_await(uint64_t iters);
/* Operation: one weft_yield() of the only task. */
uint64_t bench_yield(uint64_t iters);
/* Operation: one weft_yield() of one of two tasks that alternate through the
 * scheduler (a task-to-task switch by way of the worker loop). */
uint64_t bench_yield_pair(uint64_t iters);
/* Operation: one weft_sleep_ns(0) of the only task (asyncio.sleep(0)). */
uint64_t bench_sleep0(uint64_t iters);
/* Operation: one weft__ctx_switch between two contexts ping-ponging, no
 * runtime at all. */
uint64_t bench_ctx_switch(uint64_t iters);
/* Operation (iters of them): a round of BENCH_GATHER_N spawns of an empty
 * task, one weft_gather of all of them, and their detaches. */
uint64_t bench_spawn_gather(uint64_t rounds);
/* Operation (iters of them): a round of BENCH_TIMER_TASKS tasks each
 * sleeping BENCH_TIMER_SLEEP_MS, spawned and then gathered: wall time. */
uint64_t bench_timers(uint64_t rounds);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_BENCH_BODIES_H */
