/* 100,000 tasks alive at once, each sleeping on its own stack: with one
 * mmap and one mprotect()ed guard per stack this would need 200,000 maps,
 * past the kernel's 65,530. Slabs with MADV_GUARD_INSTALL guards keep the
 * process at a few thousand maps at most. */
#include <errno.h>
#include <stdint.h>

#include "check.h"

#if defined(__SANITIZE_THREAD__)
/* TSan keeps a shadow thread per fiber (at most 8,128 at once), each made
 * by clearing most of a megabyte: the map count is not checked there. */
enum { N = 1000 };
#else
enum { N = 100000 };
#endif

static int alive, finished, peak_maps;

static int sleeper_short(void *arg, void **result) {
  (void)arg, (void)result;
  return weft_yield();
}

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  alive++;
  CHECK_EQ(weft_sleep_ms(200), 0);
  alive--;
  finished++;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static weft_task *t[N];
  weft_spawn_opts o = {.stack_size = 16 * 1024};
  for (int i = 0; i < N; i++)
    CHECK_EQ(weft_spawn_opt(&t[i], sleeper, NULL, &o), 0);
  CHECK_EQ(weft_yield(), 0); /* all of them run and go to sleep */
  CHECK_EQ(alive, N);
  peak_maps = count_maps();
  CHECK_EQ(weft_gather(t, N, NULL, NULL, 0), 0);
  CHECK_EQ(finished, N);
  for (int i = 0; i < N; i++)
    weft_detach(t[i]);
  return 0;
}

static long vm_size_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  CHECK(f);
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

static int hundred(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t[100];
  for (int i = 0; i < 100; i++)
    CHECK_EQ(weft_spawn(&t[i], sleeper_short, NULL), 0);
  CHECK_EQ(weft_gather(t, 100, NULL, NULL, 0), 0);
  for (int i = 0; i < 100; i++)
    weft_detach(t[i]);
  return 0;
}

int main(void) {
  int before = count_maps();
  CHECK_EQ(check_run_workers(main_task, 1), 0); /* the yield runs them all */
  fprintf(stderr, "many_tasks: %d tasks alive at once, maps %d -> %d\n", N,
          before, peak_maps);
#if !defined(__SANITIZE_THREAD__) /* TSan maps memory for each fiber */
  CHECK(peak_maps < 10000);
#endif
  /* Runtime after runtime reuses the stacks the earlier ones left (slabs
   * stay mapped): the address space does not grow with each weft_run. */
  CHECK_EQ(check_run_workers(hundred, 1), 0);
  long vm0 = vm_size_kb();
#if defined(__SANITIZE_THREAD__)
  enum { RUNTIMES = 20 }; /* each makes its workers' fibers first */
#else
  enum { RUNTIMES = 100 };
#endif
  for (int i = 0; i < RUNTIMES; i++)
    CHECK_EQ(check_run_workers(hundred, 1 + i % 2), 0);
  long grown = vm_size_kb() - vm0;
  fprintf(stderr, "many_tasks: %d more runtimes grew VmSize by %ld kB\n",
          RUNTIMES, grown);
#if !defined(__SANITIZE_THREAD__) /* TSan's own per-fiber memory grows it */
  CHECK(grown < 64 * 1024);
#endif
  return 0;
}
