/*
 * bench/micro/count.c: a fixed-count driver for callgrind.
 *
 *   count WORKLOAD N
 *
 * runs N operations of one workload (spawn_await, yield, yield_pair, sleep0,
 * ctx_switch) in one weft_run and exits. Under valgrind --tool=callgrind
 * the instruction count is repeatable, and the fixed costs (process start,
 * weft_run, warm-up) cancel out of (I(N2) - I(N1)) / (N2 - N1): the
 * instructions per operation. bench/run.sh does that arithmetic.
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
    {"spawn_await", bench_spawn_await}, {"yield", bench_yield},
    {"yield_pair", bench_yield_pair},   {"sleep0", bench_sleep0},
    {"ctx_switch", bench_ctx_switch},
};

int main(int argc, char **argv) {
  size_t n = sizeof workloads / sizeof workloads[0];
  if (argc == 3) {
    char *end;
    uint64_t iters = strtoull(argv[2], &end, 10);
    for (size_t i = 0; *end == '\0' && i < n; i++) {
      if (strcmp(argv[1], workloads[i].name) == 0) {
        uint64_t ns = workloads[i].body(iters);
        printf("%s %" PRIu64 " ops %" PRIu64 " ns\n", argv[1], iters, ns);
        return 0;
      }
    }
  }
  fprintf(stderr, "usage: %s WORKLOAD N\nworkloads:", argv[0]);
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, " %s", workloads[i].name);
  fprintf(stderr, "\n");
  return 2;
}
