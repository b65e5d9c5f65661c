/*
 * bench/micro/parallel.c: how much of a second CPU this machine gives now.
 *
 *   bench_parallel [ROUNDS]
 *
 * A floor for any parallel speed-up measured next to it. Each round times
 * one thread running a fixed CPU loop (no memory traffic, no locks), then
 * two threads each running the same loop at once: speed-up = 2 x t(one) /
 * t(two), 2.00 when both CPUs are fully there, 1.00 when the second is not
 * (on this shared VM the second vCPU is sometimes taken: a plain 2-thread
 * loop measured 0.98x to 1.71x minutes apart). Prints every round and the
 * median. Record it beside 2-worker figures, taken just before them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LOOP 60000000ull /* about 50-60 ms of one CPU here */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *spin(void *arg) {
  uint64_t x = (uintptr_t)arg | 1;
  for (uint64_t i = 0; i < LOOP; i++) /* a dependent chain: one per cycle */
    x = x * 6364136223846793005ull + 1442695040888963407ull;
  __asm__ volatile("" : : "r"(x)); /* keep the loop */
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  char *end = "";
  long rounds = argc > 1 ? strtol(argv[1], &end, 10) : 5;
  if (*end != '\0' || rounds < 1 || rounds > 100) {
    fprintf(stderr, "usage: %s [ROUNDS (1-100)]\n", argv[0]);
    return 2;
  }
  double *sp = calloc((size_t)rounds, sizeof *sp);
  if (!sp)
    return 1;
  spin((void *)1); /* warm up the clock frequency */
  printf("parallel floor (2 threads, same loop each; 2.00 = both CPUs):");
  for (long r = 0; r < rounds; r++) {
    int64_t t0 = now_ns();
    spin((void *)2);
    int64_t one = now_ns() - t0;
    pthread_t th[2];
    t0 = now_ns();
    for (int i = 0; i < 2; i++)
      if (pthread_create(&th[i], NULL, spin, (void *)(uintptr_t)(i + 3))) {
        perror("pthread_create");
        abort();
      }
    for (int i = 0; i < 2; i++)
      pthread_join(th[i], NULL);
    int64_t two = now_ns() - t0;
    sp[r] = 2.0 * (double)one / (double)two;
    printf(" %.2f", sp[r]);
  }
  qsort(sp, (size_t)rounds, sizeof *sp, cmp);
  double med =
      rounds % 2 ? sp[rounds / 2] : (sp[rounds / 2 - 1] + sp[rounds / 2]) / 2;
  printf("; median %.2fx\n", med);
  free(sp);
  return 0;
}
