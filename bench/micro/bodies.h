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
 *
 * The second set (bench/micro/sched.c) is issue 4's scheduler workloads, at
 * any worker count, each one weft_run with a warm-up of a tenth of the work
 * and then one timed run; they report the workers' counters too.
 */
#ifndef WEFT_BENCH_BODIES_H
#define WEFT_BENCH_BODIES_H

#include <stdbool.h>
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
/* The same, with the await made BENCH_AWAIT_DEPTH calls deeper: what the
 * awaiter's own call chain costs when the finished task wakes it (rt/ctx.h:
 * the return stack buffer). */
#define BENCH_AWAIT_DEPTH 8
uint64_t bench_spawn_await_deep(uint64_t iters);
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

/* ---- issue 4's scheduler workloads (bench/micro/sched.c) ----------------- */

/* Their sizes, as in issue 4 and bench/peers/run.sh (not --quick). */
#define BENCH_SPAWN_MANY_TASKS                                                 \
  1000000 /* spawned from one task, all awaited                                \
           */
#define BENCH_YIELD_MANY_TASKS 1000
#define BENCH_YIELD_MANY_YIELDS 10000 /* each */
#define BENCH_PING_PONG_PAIRS 1000
#define BENCH_PING_PONG_TRIPS 1000 /* round trips each */
#define BENCH_CHAIN_LEN 1000       /* spawns in a chain */
#define BENCH_CHAIN_TIMES 1000     /* chains, one after the other */

/* What one timed run did: its wall time and operation count, and the sums
 * over all workers of their counters (rt/worker.h, weft__worker_stats)
 * during it. */
typedef struct bench_sched_stats {
  uint64_t ns;  /* wall time of the timed run */
  uint64_t ops; /* operations in it (tasks, yields, round trips, spawns) */
  int workers;
  uint64_t tasks_run;    /* switches into tasks */
  uint64_t steals_tried; /* victims tried */
  uint64_t steals_won;   /* steals that brought back tasks */
  uint64_t parks;        /* workers' sleeps in the driver */
  uint64_t unparks;      /* wake-ups of parked workers */
  uint64_t inject_pops;
  uint64_t overflows; /* ring overflows to the inject queue */
} bench_sched_stats;

/* If warmup, each first runs the workload with a tenth of its first size
 * (as the peers' programs do) before the timed run. */

/* Operation: a spawned task. `tasks` empty tasks spawned from the main task
 * into a task group without handles (weft_group_spawn with out NULL), all
 * awaited by weft_group_exit: the spawner holds no handle to each, as in
 * Tokio's rt_multi_threaded spawn_many (a countdown) and Go (a WaitGroup). */
void bench_spawn_many(int workers, uint64_t tasks, bool warmup,
                      bench_sched_stats *out);
/* The same, keeping every handle: each awaited (weft_await) and detached in
 * turn after all are spawned (Tokio's current-thread spawn_many). */
void bench_spawn_many_each(int workers, uint64_t tasks, bool warmup,
                           bench_sched_stats *out);
/* Operation: a yield. `tasks` tasks each weft_yield() `yields` times,
 * spawned from the main task, then all gathered. */
void bench_yield_many(int workers, uint64_t tasks, uint64_t yields, bool warmup,
                      bench_sched_stats *out);
/* Operation: a round trip. `pairs` tasks spawned from the main task, each
 * spawning its partner and doing `trips` round trips with it over two
 * one-slot mailboxes (built on rt/waitq.h: weft has no channel yet); all
 * gathered. */
void bench_ping_pong(int workers, uint64_t pairs, uint64_t trips, bool warmup,
                     bench_sched_stats *out);
/* Operation: a spawn in a chain. `times` chains, one after the other, of
 * `len` spawns each: every task spawns the next and detaches it, the last
 * one signals the main task (a one-slot mailbox), which waits for it. */
void bench_chained_spawn(int workers, uint64_t len, uint64_t times, bool warmup,
                         bench_sched_stats *out);

/* ---- issue 8's side-by-side additions (bench/micro/sched.c) ------------- */

/* Sizes of the Google Benchmark cases (bench/compare.sh passes its own). */
#define BENCH_TIMERS_TASKS 100000 /* each sleeping BENCH_TIMER_SLEEP_MS */
#define BENCH_FAN_ROUNDS 100
#define BENCH_FAN_WIDTH 32 /* a tree of 32 nodes of 32 leaves a round */
#define BENCH_GATHER_ROUNDS 1000
#define BENCH_GATHER_WIDTH 1000

/* Operation: a sleeping task. `tasks` tasks each weft_sleep_ms(ms), spawned
 * from the main task into a task group without handles, then waited for by
 * the group's exit: wall time of the whole. */
void bench_timers_many(int workers, uint64_t tasks, uint64_t ms, bool warmup,
                       bench_sched_stats *out);
/* Operation: a task. `rounds` two-level trees: the main task spawns `width`
 * nodes, each spawns `width` leaves that yield once; every task is awaited
 * by its parent through a task group without handles (as the Go program's
 * WaitGroup per parent). */
void bench_fan_out(int workers, uint64_t rounds, uint64_t width, bool warmup,
                   bench_sched_stats *out);
/* Operation: a task. `rounds` rounds of `width` tasks that yield once, all
 * gathered by one weft_gather(WEFT_GATHER_ALL). */
void bench_gather(int workers, uint64_t rounds, uint64_t width, bool warmup,
                  bench_sched_stats *out);
/* Operation: spawn an empty task and await it, n times, at any worker
 * count. */
void bench_spawn_await_w(int workers, uint64_t n, bool warmup,
                         bench_sched_stats *out);
/* Operation: a yield of the only task, n times, at any worker count. */
void bench_yield_w(int workers, uint64_t n, bool warmup,
                   bench_sched_stats *out);
/* `tasks` tasks asleep at once, no warm-up: each counts itself and then
 * weft_sleep_ms(ms); once all have counted, prints on stdout the
 * nanoseconds that took and ends the process at once (_Exit(0)), so that
 * the process's peak RSS (read by the caller) is that of `tasks` sleeping
 * tasks. Does not return. */
__attribute__((noreturn)) void bench_memory(int workers, uint64_t tasks,
                                            uint64_t ms);

/* ---- issue 6's sync/ bodies (bench/micro/sync.c) ------------------------ */

/* Operation: weft_lock_acquire + weft_lock_release by the only task. */
uint64_t bench_lock_uncontended(uint64_t iters);
/* Operation: one acquire + release by one of 2 tasks on 2 workers taking
 * the same lock in a loop (iters in all). */
uint64_t bench_lock_contended2(uint64_t iters);
/* Operation: one item through a FIFO queue bounded at 64, one producer and
 * the consumer (the main task), 2 workers. */
uint64_t bench_queue_spsc(uint64_t iters);
/* The same with 4 producers and one consumer. */
uint64_t bench_queue_mpsc(uint64_t iters);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_BENCH_BODIES_H */
