/* Debug mode: a slow task is reported by the monitor while it still runs,
 * within the threshold plus 50 ms, with its name, spawn site and time; a
 * task left pending at shutdown, a task whose handle was neither awaited
 * nor detached, and a task that nearly filled its stack are each reported
 * on stderr, by name; WEFT_DEBUG=1 turns it on, WEFT_DEBUG=0 off; without
 * debug mode nothing is said. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define THRESHOLD_MS 100
/* The monitor must report within the threshold plus 50 ms: the time it
 * says the task has held its worker is held to that. Its message reaching
 * the task through a pipe takes the OS's scheduling on a 2-CPU machine
 * shared with other builds, so the arrival gets more slack. */
#if defined(__SANITIZE_THREAD__)
/* Under TSan (and the stress build's random delays) on that loaded machine
 * the monitor thread itself is sometimes not scheduled for a few hundred
 * ms; the plain, ASan and ucontext builds hold it to 50 ms. */
#define REPORT_MS 500
#else
#define REPORT_MS 50
#endif
#define ARRIVAL_SLACK_MS 500
#define SLICE_START_SLACK_MS 5

/* The slow task reads its own stderr (a pipe, set up by the child) while it
 * spins, and stops as soon as the monitor's report has arrived. */
static int report_pipe = -1; /* read end, or -1: just spin 150 ms */
static int saved_stderr = -1;
static int64_t seen_after_ns = -1;
static char seen[2048];

static int spin(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t t0 = weft_now_ns();
  int64_t limit = t0 + (report_pipe >= 0 ? 3000 : 150) * 1000000LL;
  size_t n = 0;
  while (weft_now_ns() < limit) { /* blocks its worker */
    if (report_pipe < 0)
      continue;
    ssize_t r = read(report_pipe, seen + n, sizeof seen - 1 - n);
    if (r > 0) {
      n += (size_t)r;
      seen[n] = '\0';
      if (strstr(seen, "still running")) {
        seen_after_ns = weft_now_ns() - t0;
        dup2(saved_stderr, STDERR_FILENO); /* the other reports: as usual */
        break;
      }
    }
  }
  return 0;
}

static int deep(void *arg, void **result) {
  (void)arg, (void)result;
  volatile char big[28 * 1024]; /* of a 32 KiB stack */
  memset((char *)big, 1, sizeof big);
  return big[7] == 1 ? 0 : -1;
}

static int forever(void *arg, void **result) {
  (void)arg, (void)result;
  return weft_sleep_ms(100000);
}

static int quick(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *a, *b, *c, *d;
  weft_spawn_opts so = {.name = "spinner"};
  weft_spawn_opts dq = {.name = "deep", .stack_size = 32 * 1024};
  weft_spawn_opts fo = {.name = "forgotten"};
  weft_spawn_opts lk = {.name = "leaked"};
  CHECK_EQ(weft_spawn_opt(&a, spin, NULL, &so), 0);
  CHECK_EQ(weft_spawn_opt(&b, deep, NULL, &dq), 0);
  CHECK_EQ(weft_spawn_opt(&c, forever, NULL, &fo), 0);
  CHECK_EQ(weft_spawn_opt(&d, quick, NULL, &lk), 0); /* never awaited */
  CHECK_EQ(weft_await(a, NULL), 0);
  CHECK_EQ(weft_await(b, NULL), 0);
  weft_detach(a);
  weft_detach(b);
  weft_detach(c);
  return 0;
}

static bool debug_on;
static int nworkers = 1;

static void child(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.debug = debug_on;
  cfg.workers = nworkers;
  cfg.slow_task_seconds = THRESHOLD_MS / 1000.0;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
}

/* stderr into a pipe the slow task reads; back once the run is over. */
static void child_watching(void) {
  int p[2];
  CHECK_EQ(pipe(p), 0);
  CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  saved_stderr = dup(STDERR_FILENO);
  CHECK_EQ(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
  report_pipe = p[0];
  child();
  dup2(saved_stderr, STDERR_FILENO);
  fprintf(stderr, "seen by the slow task: %s", seen);
  fprintf(stderr, "[report seen by the slow task after %.1f ms]\n",
          (double)seen_after_ns / 1e6);
  /* Not before the threshold. The monitor counts from the slice's start,
   * which the worker records before it switches into the task, so the task's
   * own clock (t0, its first instruction) starts a little later: 99.9 ms
   * was seen in the stress build, whose random delays sit in that switch. */
  CHECK(seen_after_ns >= (THRESHOLD_MS - SLICE_START_SLACK_MS) * 1000000LL);
  const char *held = strstr(seen, "has held worker");
  CHECK(held != NULL);
  held = strstr(held, " for ") + 1;
  double said = 0;
  CHECK(held && sscanf(held, "for %lf s without", &said) == 1);
  CHECK(said >= THRESHOLD_MS / 1000.0);
  CHECK(strstr(seen, "task 'spinner' (spawned at "));
  CHECK(strstr(seen, "debug.c:"));
  CHECK(strstr(seen, "has held worker") && strstr(seen, "still running"));
  /* The time bounds: exit 3 says only they were missed (a starved monitor
   * thread on a loaded machine), and the run is tried again. */
  if (said > (THRESHOLD_MS + REPORT_MS) / 1000.0 ||
      seen_after_ns > (THRESHOLD_MS + ARRIVAL_SLACK_MS) * 1000000LL) {
    fprintf(stderr, "[late: the monitor said %.3f s]\n", said);
    fflush(stderr);
    _exit(3);
  }
}

static void check_reports(const char *out) {
  CHECK(strstr(out, "task 'spinner'") && strstr(out, "without suspending"));
  CHECK(strstr(out, "task 'deep'") && strstr(out, "of its 32768-byte stack"));
  CHECK(strstr(out, "task 'forgotten'") && strstr(out, "still pending"));
  CHECK(strstr(out, "task 'leaked'") &&
        strstr(out, "neither awaited nor detached"));
  const char *n = strstr(out, "neither awaited");
  CHECK(!strstr(n + 1, "neither awaited")); /* only 'leaked' */
  CHECK(!strstr(out, "task 'main' (spawned at weft_run:0) was still"));
}

int main(void) {
  char out[16384];
  debug_on = true;
  for (nworkers = 1; nworkers <= 2; nworkers++) {
    fprintf(stderr, "-- %d worker(s)\n", nworkers);
    int status;
    for (int attempt = 1;; attempt++) {
      status = run_in_child(child_watching, out, sizeof out);
      fprintf(stderr, "debug mode said:\n%s", out);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 3 || attempt == 5)
        break;
      fprintf(stderr, "-- again (attempt %d): the report came late\n",
              attempt + 1);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_reports(out);
  }
  nworkers = 1;

  /* The environment: WEFT_DEBUG=1 over a config without debug mode... */
  debug_on = false;
  setenv("WEFT_DEBUG", "1", 1);
  int status = run_in_child(child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  check_reports(out);
  /* ...and WEFT_DEBUG=0 over one with it. */
  debug_on = true;
  setenv("WEFT_DEBUG", "0", 1);
  status = run_in_child(child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strcmp(out, "") == 0);
  unsetenv("WEFT_DEBUG");

  debug_on = false;
  status = run_in_child(child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strcmp(out, "") == 0);
  fprintf(stderr, "debug: all passed\n");
  return 0;
}
