/* bench/experiments/rounds.c: per-round wall times of gather or fan_out (a
 * diagnostic of bench/findings-gap-spawn.md, not a benchmark). Build against
 * a built libweft.a:
 *   cc -O2 -std=c17 -Iinclude bench/experiments/rounds.c -o rounds \
 *     build/libweft.a -ljemalloc -lhwloc -lpthread
 *   ./rounds WORKERS gather|fan_out ROUNDS WIDTH
 * Runs a tenth of ROUNDS first (not counted), then ROUNDS rounds; prints
 * ns per task and the distribution of the rounds' wall times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft/rt.h>
#include <weft/sync.h>
static int yfn(void *a, void **r) {
  (void)a;
  (void)r;
  return weft_yield();
}
static uint64_t width;
static int rounds;
static int fan;
/* width tasks running fn in a group, all awaited. */
static void group_of(weft_fn fn) {
  weft_group *g;
  weft_group_new(&g);
  for (uint64_t i = 0; i < width; i++)
    weft_group_spawn(g, NULL, fn, NULL);
  weft_group_exit(g, 0);
  weft_group_free(g);
}
static int node(void *a, void **r) {
  (void)a;
  (void)r;
  group_of(yfn);
  return 0;
}
static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static int mainfn(void *a, void **r) {
  (void)a;
  (void)r;
  weft_task **ts = malloc(width * sizeof *ts);
  int64_t *d = malloc(rounds * sizeof *d);
  for (int k = 0; k < rounds + rounds / 10; k++) {
    int64_t t0 = weft_now_ns();
    if (fan) {
      group_of(node);
    } else {
      for (uint64_t i = 0; i < width; i++)
        weft_spawn(&ts[i], yfn, NULL);
      weft_gather(ts, width, NULL, NULL, WEFT_GATHER_ALL);
      for (uint64_t i = 0; i < width; i++)
        weft_detach(ts[i]);
    }
    if (k >= rounds / 10)
      d[k - rounds / 10] = weft_now_ns() - t0;
  }
  int64_t sum = 0;
  for (int k = 0; k < rounds; k++)
    sum += d[k];
  qsort(d, rounds, sizeof *d, cmp);
  uint64_t ops = fan ? width + width * width : width;
  printf("per-op %.1f ns; round us: min %.0f p10 %.0f p50 %.0f p90 %.0f max "
         "%.0f; rounds>2ms: ",
         (double)sum / rounds / ops, d[0] / 1e3, d[rounds / 10] / 1e3,
         d[rounds / 2] / 1e3, d[rounds * 9 / 10] / 1e3, d[rounds - 1] / 1e3);
  int big = 0;
  int64_t bigsum = 0;
  for (int k = 0; k < rounds; k++)
    if (d[k] > 2000000) {
      big++;
      bigsum += d[k];
    }
  printf("%d (%.1f%% of time)\n", big, 100.0 * bigsum / sum);
  return 0;
}
int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: rounds WORKERS gather|fan_out ROUNDS WIDTH\n");
    return 2;
  }
  weft_config c;
  weft_config_init(&c);
  c.workers = atoi(argv[1]);
  fan = !strcmp(argv[2], "fan_out");
  rounds = atoi(argv[3]);
  width = strtoull(argv[4], 0, 10);
  return weft_run(&c, mainfn, NULL, NULL) ? 1 : 0;
}
