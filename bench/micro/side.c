/*
 * bench/micro/side.c: weft's side of the side-by-side comparison
 * (bench/compare.sh), with the command line of the peers' programs in
 * bench/peers/, so that one driver runs them all alike.
 *
 *   bench_side WORKERS WORKLOAD REPS A [B]
 *
 * WORKLOAD and its sizes A, B (as in bench/peers/tokio/src/main.rs):
 *
 *   spawn_many    A empty tasks spawned from one task into a task group
 *                 (no handles), all awaited by its exit
 *   yield_many    A tasks each yielding B times
 *   ping_pong     A pairs of tasks each doing B round trips
 *   chained_spawn a chain of A spawns (each task spawns the next), B times
 *   timers        A tasks each sleeping B ms: wall time
 *   fan_out       A rounds of a two-level tree of fan-out B, awaited by a
 *                 task group per parent
 *   gather        A rounds of B tasks gathered by one weft_gather
 *   spawn_await   A times: spawn one empty task and await it
 *   yield         A yields of the only task
 *   memory        A tasks asleep at once (each counts itself, then sleeps
 *                 B ms): once all have counted, prints the nanoseconds that
 *                 took and exits at once (no warm-up); the caller reads the
 *                 peak RSS (wait4)
 *   lock, queue, to_thread, process_pool: bench/micro/side_exec.c
 *
 * REPS runs, each its own weft_run with a warm-up of a tenth of A first
 * (bench/micro/sched.c); prints one line per run: nanoseconds per operation.
 * Exit 2 on bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"
#include "side_exec.h"

static int usage(void) {
  fprintf(stderr, "usage: bench_side WORKERS WORKLOAD REPS A [B]\n");
  return 2;
}

static int parse(const char *s, uint64_t *out) {
  char *end;
  if (!*s || *s == '-')
    return -1;
  *out = strtoull(s, &end, 10);
  return *end ? -1 : 0;
}

int main(int argc, char **argv) {
  uint64_t workers, reps, a, b = 1;
  if (argc < 5 || argc > 6 || parse(argv[1], &workers) || workers < 1 ||
      workers > 1024 || parse(argv[3], &reps) || parse(argv[4], &a) ||
      (argc == 6 && parse(argv[5], &b)))
    return usage();
  const char *w = argv[2];
  int nw = (int)workers;
  for (uint64_t r = 0; r < reps; r++) {
    bench_sched_stats s = {0};
    double per_op;
    if (side_exec_run(nw, w, a, b, &per_op) == 0) {
      printf("%.3f\n", per_op);
      continue;
    }
    if (strcmp(w, "spawn_many") == 0)
      bench_spawn_many(nw, a, true, &s);
    else if (strcmp(w, "yield_many") == 0)
      bench_yield_many(nw, a, b, true, &s);
    else if (strcmp(w, "ping_pong") == 0)
      bench_ping_pong(nw, a, b, true, &s);
    else if (strcmp(w, "chained_spawn") == 0)
      bench_chained_spawn(nw, a, b, true, &s);
    else if (strcmp(w, "timers") == 0)
      bench_timers_many(nw, a, b, true, &s);
    else if (strcmp(w, "fan_out") == 0)
      bench_fan_out(nw, a, b, true, &s);
    else if (strcmp(w, "gather") == 0)
      bench_gather(nw, a, b, true, &s);
    else if (strcmp(w, "spawn_await") == 0)
      bench_spawn_await_w(nw, a, true, &s);
    else if (strcmp(w, "yield") == 0)
      bench_yield_w(nw, a, true, &s);
    else if (strcmp(w, "memory") == 0)
      bench_memory(nw, a, b); /* prints, and ends the process */
    else
      return usage();
    printf("%.3f\n", s.ops ? (double)s.ns / (double)s.ops : 0.0);
  }
  return 0;
}
