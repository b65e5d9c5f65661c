/* Stats: the counters are read from a plain thread while the workers run
 * (monotonic, never stopping them), add up to what the program did at the
 * end, and the shutdown table is printed when asked (config field and
 * WEFT_STATS=1), and only then. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "child.h"

#define TASKS 64
#define YIELDS 50
#define SLEEPS 3

static weft_runtime *current_rt;
static uint32_t running; /* the reader runs while this is 1 */
static uint64_t reads;

static int body(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < YIELDS; i++)
    CHECK_EQ(weft_yield(), 0);
  for (int i = 0; i < SLEEPS; i++)
    CHECK_EQ(weft_sleep_ms(1), 0);
  return 0;
}

/* A plain thread: reads every counter again and again; none may go back. */
static void *reader(void *arg) {
  (void)arg;
  weft_worker_stats prev[8], cur[8];
  memset(prev, 0, sizeof prev);
  while (__atomic_load_n(&running, __ATOMIC_ACQUIRE)) {
    weft_stats s;
    int n = weft_stats_get(current_rt, &s, cur, 8);
    CHECK(n >= 1 && n <= 8);
    CHECK_EQ(s.workers, n);
    for (int i = 0; i < n; i++) {
      CHECK(cur[i].switches >= prev[i].switches);
      CHECK(cur[i].tasks_run >= prev[i].tasks_run);
      CHECK(cur[i].timers_fired >= prev[i].timers_fired);
      CHECK(cur[i].steals_won >= prev[i].steals_won);
      /* Not tried >= won here: the two are read one after the other, and
       * a steal may happen in between. Checked at the end. */
    }
    memcpy(prev, cur, sizeof cur);
    __atomic_store_n(&reads, reads + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  current_rt = weft_runtime_current();
  CHECK(current_rt != NULL);
  __atomic_store_n(&running, 1u, __ATOMIC_RELEASE);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, reader, NULL), 0);
  weft_task *t[TASKS];
  for (int i = 0; i < TASKS; i++)
    CHECK_EQ(weft_spawn(&t[i], body, NULL), 0);
  CHECK_EQ(weft_gather(t, TASKS, NULL, NULL, 0), 0);
  for (int i = 0; i < TASKS; i++)
    weft_detach(t[i]);
  /* The reader may not have had a CPU yet on a loaded machine: let it read
   * at least once while the workers are up (bounded: 10 s). */
  for (int i = 0; i < 10000 && !__atomic_load_n(&reads, __ATOMIC_ACQUIRE); i++)
    CHECK_EQ(weft_sleep_ms(1), 0);
  __atomic_store_n(&running, 0u, __ATOMIC_RELEASE);
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK(__atomic_load_n(&reads, __ATOMIC_ACQUIRE) > 0);
  reads = 0;

  /* What the program did is all counted. */
  weft_worker_stats w[8];
  weft_stats s;
  int n = weft_stats_get(NULL, &s, w, 8); /* NULL: the caller's runtime */
  CHECK_EQ(n, weft_worker_count());
  uint64_t run = 0, sw = 0, timers = 0, won = 0, stolen = 0;
  for (int i = 0; i < n; i++) {
    run += w[i].tasks_run;
    sw += w[i].switches;
    timers += w[i].timers_fired;
    won += w[i].steals_won;
    stolen += w[i].tasks_stolen;
  }
  fprintf(stderr,
          "  %d workers: tasks_run %llu switches %llu timers %llu steals "
          "%llu (%llu tasks)\n",
          n, (unsigned long long)run, (unsigned long long)sw,
          (unsigned long long)timers, (unsigned long long)won,
          (unsigned long long)stolen);
  CHECK(run >= TASKS + 1);
  /* Each task's first run and its resume after every sleep are switches;
   * a yield with nothing else to run on its worker goes on without one. */
  CHECK(sw >= (uint64_t)TASKS * (1 + SLEEPS));
  /* A stuck worker's timers may be fired by the monitor instead. */
  CHECK(timers + s.monitor_timers_fired >= (uint64_t)TASKS * SLEEPS);
  CHECK(stolen >= won);
  for (int i = 0; i < n; i++)
    CHECK(w[i].steals_tried >= w[i].steals_won);
  CHECK(s.live_tasks >= 1); /* main */
  return 0;
}

static void print_child(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 2;
  cfg.print_stats = getenv("WEFT_STATS") == NULL;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
}

static void quiet_child(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 2;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
}

static int noop(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

int main(void) {
  RUN_WORKERS(main_task, 1);
  RUN_WORKERS(main_task, 2);
  RUN_WORKERS(main_task, 4);

  /* Outside any task, with no runtime: an error, nothing read. */
  weft_stats s;
  CHECK_EQ(weft_stats_get(NULL, &s, NULL, 0), -EINVAL);
  CHECK(weft_runtime_current() == NULL);
  CHECK_EQ(weft_stats_print(NULL, 2), -EINVAL);
  CHECK_EQ(weft_dump_tasks(NULL, 2), -EINVAL);

  /* A runtime driven from this thread: its handle reads the same way. */
  weft_runtime *rt;
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 2;
  CHECK_EQ(weft_runtime_new(&rt, &cfg), 0);
  CHECK_EQ(weft_runtime_block_on(rt, noop, NULL, NULL), 0);
  weft_worker_stats w[2];
  CHECK_EQ(weft_stats_get(rt, &s, w, 2), 2);
  CHECK(w[0].tasks_run + w[1].tasks_run >= 1);
  CHECK_EQ(weft_stats_get(rt, &s, NULL, 1), -EINVAL);
  CHECK_EQ(weft_stats_get(rt, &s, w, -1), -EINVAL);
  CHECK_EQ(weft_runtime_free(rt), 0);

  /* The table at shutdown: by the config field, then by WEFT_STATS=1. */
  char out[8192];
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1)
      setenv("WEFT_STATS", "1", 1);
    int status = run_in_child(print_child, out, sizeof out);
    fprintf(stderr, "table:\n%s", out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(out, "weft: stats: 2 workers"));
    CHECK(strstr(out, "switches") && strstr(out, "steals_won"));
    CHECK(strstr(out, "\n0 ") && strstr(out, "\n1 ") &&
          strstr(out, "\ntotal "));
  }
  unsetenv("WEFT_STATS");
  int status = run_in_child(quiet_child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(!strstr(out, "weft: stats"));
  fprintf(stderr, "stats: all passed\n");
  return 0;
}
