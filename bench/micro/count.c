/*
 * bench/micro/count.c: a fixed-count driver for callgrind.
 *
 *   count WORKLOAD N [WORKERS]
 *
 * runs N operations of one workload in one weft_run and exits: spawn_await,
 * spawn_await_deep, yield, yield_pair, sleep0, ctx_switch (one worker), or
 * issue 4's spawn_many, spawn_many_each, yield_many, ping_pong, chained_spawn
 * and timers (N tasks each sleeping 1 ms) (at WORKERS workers, default 1).
 * Under valgrind --tool=callgrind the instruction count is repeatable, and
 * the fixed costs (process start, weft_run, warm-up) cancel out of
 * (I(N2) - I(N1)) / (N2 - N1): the instructions per operation. bench/run.sh
 * does that arithmetic. Issue 4's workloads run without their warm-up, at
 * sizes where what does not grow with N cancels out too: spawn_many and
 * spawn_many_each N tasks;
 * yield_many 1000 tasks of N/1000 yields; ping_pong 1000 pairs of N/1000
 * round trips; chained_spawn N/1000 chains of 1000 (N a multiple of 1000).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"

static const struct {
  const char *name;
  uint64_t (*body)(uint64_t);
} workloads[] = {
    {"spawn_await", bench_spawn_await},
    {"spawn_await_deep", bench_spawn_await_deep},
    {"yield", bench_yield},
    {"yield_pair", bench_yield_pair},
    {"sleep0", bench_sleep0},
    {"ctx_switch", bench_ctx_switch},
};

static void sched_spawn_many(int w, uint64_t n, bench_sched_stats *o) {
  bench_spawn_many(w, n, false, o);
}
static void sched_spawn_many_each(int w, uint64_t n, bench_sched_stats *o) {
  bench_spawn_many_each(w, n, false, o);
}
static void sched_yield_many(int w, uint64_t n, bench_sched_stats *o) {
  bench_yield_many(w, 1000, n / 1000, false, o);
}
static void sched_ping_pong(int w, uint64_t n, bench_sched_stats *o) {
  bench_ping_pong(w, 1000, n / 1000, false, o);
}
static void sched_chained_spawn(int w, uint64_t n, bench_sched_stats *o) {
  bench_chained_spawn(w, 1000, n / 1000, false, o);
}
static void sched_timers(int w, uint64_t n, bench_sched_stats *o) {
  bench_timers_many(w, n, 1, false, o);
}

static const struct {
  const char *name;
  void (*body)(int workers, uint64_t n, bench_sched_stats *out);
} sched[] = {
    {"spawn_many", sched_spawn_many},
    {"spawn_many_each", sched_spawn_many_each},
    {"yield_many", sched_yield_many},
    {"ping_pong", sched_ping_pong},
    {"chained_spawn", sched_chained_spawn},
    {"timers", sched_timers},
};

int main(int argc, char **argv) {
  size_t n = sizeof workloads / sizeof workloads[0];
  size_t ns_ = sizeof sched / sizeof sched[0];
  if (argc == 3 || argc == 4) {
    char *end;
    uint64_t iters = strtoull(argv[2], &end, 10);
    int workers = 1;
    if (*end == '\0' && argc == 4) {
      workers = (int)strtol(argv[3], &end, 10);
      if (workers < 1)
        *end = 'x';
    }
    for (size_t i = 0; *end == '\0' && i < ns_; i++) {
      if (strcmp(argv[1], sched[i].name) == 0) {
        bench_sched_stats s;
        sched[i].body(workers, iters, &s);
        printf("%s %" PRIu64 " ops %d workers %" PRIu64 " ns (%.1f ns/op):"
               " tasks_run %" PRIu64 " steals %" PRIu64 "/%" PRIu64
               " parks %" PRIu64 " unparks %" PRIu64 " inject_pops %" PRIu64
               " overflows %" PRIu64 "\n",
               argv[1], s.ops, workers, s.ns,
               s.ops ? (double)s.ns / (double)s.ops : 0.0, s.tasks_run,
               s.steals_won, s.steals_tried, s.parks, s.unparks, s.inject_pops,
               s.overflows);
        return 0;
      }
    }
    for (size_t i = 0; *end == '\0' && argc == 3 && i < n; i++) {
      if (strcmp(argv[1], workloads[i].name) == 0) {
        uint64_t ns = workloads[i].body(iters);
        printf("%s %" PRIu64 " ops %" PRIu64 " ns\n", argv[1], iters, ns);
        return 0;
      }
    }
  }
  fprintf(stderr, "usage: %s WORKLOAD N [WORKERS]\nworkloads:", argv[0]);
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, " %s", workloads[i].name);
  fprintf(stderr, "\nwith WORKERS:");
  for (size_t i = 0; i < ns_; i++)
    fprintf(stderr, " %s", sched[i].name);
  fprintf(stderr, "\n");
  return 2;
}
