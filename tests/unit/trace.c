/* The trace: a run with two workers writes Chrome trace-event JSON that
 * python's json module parses (tests/unit/trace_check.py), with a track per
 * worker holding that worker's run slices, parks and timer wakes, and the
 * steals and unparks the counters saw; a name that needs escaping comes back
 * intact; a tiny bound drops events and says so (through WEFT_TRACE and
 * WEFT_TRACE_EVENTS); tracing off writes nothing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define WORKERS 2
#define TASKS 100

static int pinned(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 5; i++) {
    CHECK_EQ(weft_sleep_ms(1), 0); /* a timer wake on this worker */
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int yielder(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 20; i++)
    CHECK_EQ(weft_yield(), 0);
  return 0;
}

static uint64_t steals, unparks, monitor_timers;

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *p[WORKERS], *t[TASKS], *odd;
  for (int i = 0; i < WORKERS; i++) {
    char name[16];
    snprintf(name, sizeof name, "pinned-%d", i);
    weft_spawn_opts o = {.name = name, .pinned = true, .worker = i};
    CHECK_EQ(weft_spawn_opt(&p[i], pinned, NULL, &o), 0);
  }
  for (int i = 0; i < TASKS; i++)
    CHECK_EQ(weft_spawn(&t[i], yielder, NULL), 0);
  weft_spawn_opts oo = {.name = "odd \"name\" \\ here"};
  CHECK_EQ(weft_spawn_opt(&odd, yielder, NULL, &oo), 0);
  CHECK_EQ(weft_gather(p, WORKERS, NULL, NULL, 0), 0);
  CHECK_EQ(weft_gather(t, TASKS, NULL, NULL, 0), 0);
  CHECK_EQ(weft_await(odd, NULL), 0);
  CHECK_EQ(weft_sleep_ms(30), 0); /* every worker parks */
  weft_worker_stats w[WORKERS];
  weft_stats s;
  CHECK_EQ(weft_stats_get(NULL, &s, w, WORKERS), WORKERS);
  monitor_timers = s.monitor_timers_fired;
  for (int i = 0; i < WORKERS; i++) {
    steals += w[i].steals_won;
    unparks += w[i].unparks;
    weft_detach(p[i]);
  }
  for (int i = 0; i < TASKS; i++)
    weft_detach(t[i]);
  weft_detach(odd);
  return 0;
}

static char path[128];

static int check(const char *extra, uint64_t min_steals, uint64_t min_unparks) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "python3 %s %s %d %llu %llu %llu %s", TRACE_CHECK,
           path, WORKERS, (unsigned long long)min_steals,
           (unsigned long long)min_unparks, (unsigned long long)monitor_timers,
           extra);
  fprintf(stderr, "$ %s\n", cmd);
  return system(cmd);
}

static void tiny_child(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = WORKERS;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
}

int main(void) {
  snprintf(path, sizeof path, "/tmp/weft-trace-test-%ld.json", (long)getpid());
  unlink(path);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = WORKERS;
  cfg.trace_path = path;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
  fprintf(stderr, "counters: %llu steals, %llu unparks\n",
          (unsigned long long)steals, (unsigned long long)unparks);
  CHECK_EQ(check("", steals, unparks), 0);
  unlink(path);

  /* The bound, through the environment. */
  setenv("WEFT_TRACE", path, 1);
  setenv("WEFT_TRACE_EVENTS", "16", 1);
  char out[4096];
  int status = run_in_child(tiny_child, out, sizeof out);
  fprintf(stderr, "%s", out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strstr(out, "weft: trace: worker ") && strstr(out, "dropped"));
  CHECK_EQ(check("--dropped", 0, 0), 0);
  unlink(path);
  unsetenv("WEFT_TRACE");
  unsetenv("WEFT_TRACE_EVENTS");

  /* Off: no file. */
  cfg.trace_path = NULL;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
  CHECK(access(path, F_OK) != 0);
  fprintf(stderr, "trace: all passed\n");
  return 0;
}
