/* The task dump: every live task with its state, name, spawn site, worker
 * (when observed) and what it waits on (a sleep, a task, a gather, a queue,
 * a file descriptor), through the API (from a task and from a plain thread)
 * and on SIGQUIT (config field and WEFT_DUMP=1), which is handed back to its
 * old disposition when the runtime ends. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  return weft_sleep_ms(10000);
}

static int fresh(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

static int waiter(void *arg, void **result) {
  (void)result;
  return weft_await((weft_task *)arg, NULL);
}

static int gatherer(void *arg, void **result) {
  (void)result;
  weft_task *t = arg;
  return weft_gather(&t, 1, NULL, NULL, 0);
}

static int getter(void *arg, void **result) {
  return weft_queue_get((weft_queue *)arg, result);
}

static int reader(void *arg, void **result) {
  (void)result;
  char b;
  return (int)weft_io_read((weft_io *)arg, &b, 1, WEFT_NO_DEADLINE);
}

/* The dump into a string (through a pipe: it is small). */
static void dump_to(weft_runtime *rt, char *buf, size_t len) {
  int p[2];
  CHECK_EQ(pipe(p), 0);
  int n = weft_dump_tasks(rt, p[1]);
  close(p[1]);
  CHECK(n >= 6);
  ssize_t r = read(p[0], buf, len - 1);
  CHECK(r > 0);
  buf[r] = '\0';
  close(p[0]);
}

static const char *line_of(const char *dump, const char *name) {
  const char *l = strstr(dump, name);
  CHECK(l != NULL);
  return l;
}

/* The line of the task named `name` contains `what` (before its end). */
static void check_line(const char *dump, const char *name, const char *what) {
  const char *l = line_of(dump, name);
  const char *end = strchr(l, '\n');
  const char *w = strstr(l, what);
  if (!w || w > end) {
    fprintf(stderr, "the line of %s lacks \"%s\"\n", name, what);
    CHECK(0);
  }
}

static bool via_signal;
static int nworkers;

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *s, *w, *g;
  weft_spawn_opts so = {.name = "sleeper"};
  weft_spawn_opts wo = {.name = "waiter"};
  weft_spawn_opts go = {.name = "gatherer"};
  CHECK_EQ(weft_spawn_opt(&s, sleeper, NULL, &so), 0);
  CHECK_EQ(weft_spawn_opt(&w, waiter, s, &wo), 0);
  CHECK_EQ(weft_spawn_opt(&g, gatherer, s, &go), 0);
  weft_queue *q;
  CHECK_EQ(weft_queue_new(&q, WEFT_QUEUE_FIFO, 0), 0);
  int sv[2];
  CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  weft_io *io;
  CHECK_EQ(weft_io_adopt(sv[0], &io), 0);
  weft_task *qg, *rd;
  weft_spawn_opts qo = {.name = "getter"};
  weft_spawn_opts ro = {.name = "reader"};
  CHECK_EQ(weft_spawn_opt(&qg, getter, q, &qo), 0);
  CHECK_EQ(weft_spawn_opt(&rd, reader, io, &ro), 0);
  CHECK_EQ(weft_sleep_ms(20), 0); /* all five are waiting now */
  if (via_signal) {
    CHECK_EQ(kill(getpid(), SIGQUIT), 0);
    CHECK_EQ(weft_sleep_ms(300), 0); /* the inspector writes the dump */
  } else {
    char dump[8192];
    /* On a loaded machine (TSan, 2 workers) the five may take longer than
     * 20 ms to reach their waits: dump again until all five are there. */
    for (int tries = 0;; tries++) {
      dump_to(NULL, dump, sizeof dump);
      int n = 0;
      for (const char *p = dump; (p = strstr(p, "suspended")) != NULL; p++)
        n++;
      if (n >= 5 || tries == 100)
        break;
      CHECK_EQ(weft_sleep_ms(20), 0);
    }
    fprintf(stderr, "%s", dump);
    CHECK(strstr(dump, "weft: task dump: 6 live tasks"));
    check_line(dump, "task 'sleeper' (spawned at ", "dump.c:");
    check_line(dump, "task 'sleeper'", "suspended");
    check_line(dump, "task 'sleeper'", "waits on: sleep, 9.");
    check_line(dump, "task 'waiter'", "suspended");
    check_line(dump, "task 'waiter'",
               "waits on: await task 'sleeper' (spawned at ");
    check_line(dump, "task 'gatherer'", "waits on: gather, 1 left");
    check_line(dump, "task 'getter'", "waits on: queue get");
    check_line(dump, "task 'reader'", "waits on: fd readable");
    /* Nothing observes this runtime, so its workers do not record where
     * each task runs (rt/debug.h): the state alone. */
    check_line(dump, "task 'main'", ": running");
    /* A task spawned and not yet run is queued, not running (it starts
     * SCHEDULED|RUNNING: rt/task.c, "spawn"). At one worker nothing can
     * run it before this dump. */
    weft_task *fr;
    weft_spawn_opts fo = {.name = "fresh"};
    CHECK_EQ(weft_spawn_opt(&fr, fresh, NULL, &fo), 0);
    dump_to(NULL, dump, sizeof dump);
    if (nworkers == 1) {
      check_line(dump, "task 'fresh'", ": queued");
      check_line(dump, "task 'main'", ": running");
    }
    CHECK_EQ(weft_await(fr, NULL), 0);
    weft_detach(fr);
  }
  CHECK_EQ(weft_cancel(s), 0);
  CHECK_EQ(weft_await(w, NULL), -ECANCELED);
  CHECK_EQ(weft_await(g, NULL), -ECANCELED);
  weft_detach(s);
  weft_detach(w);
  weft_detach(g);
  CHECK_EQ(weft_queue_put(q, (void *)(intptr_t)7), 0);
  void *got = NULL;
  CHECK_EQ(weft_await(qg, &got), 0);
  CHECK_EQ((intptr_t)got, 7);
  CHECK_EQ(write(sv[1], "x", 1), 1);
  CHECK_EQ(weft_await(rd, NULL), 1);
  weft_detach(qg);
  weft_detach(rd);
  CHECK_EQ(weft_queue_free(q), 0);
  CHECK_EQ(weft_io_close(io), 0);
  close(sv[1]);
  return 0;
}

static void run_dump(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = nworkers;
  cfg.dump_on_sigquit = via_signal && getenv("WEFT_DUMP") == NULL;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
  /* The old disposition is back. */
  struct sigaction sa;
  CHECK_EQ(sigaction(SIGQUIT, NULL, &sa), 0);
  CHECK(sa.sa_handler == SIG_DFL);
}

int main(void) {
  char out[16384];
  for (nworkers = 1; nworkers <= 2; nworkers++) {
    fprintf(stderr, "-- API, %d worker(s)\n", nworkers);
    via_signal = false;
    run_dump();
    for (int env = 0; env < 2; env++) {
      fprintf(stderr, "-- SIGQUIT (%s), %d worker(s)\n",
              env ? "WEFT_DUMP=1" : "config", nworkers);
      if (env)
        setenv("WEFT_DUMP", "1", 1);
      via_signal = true;
      int status = run_in_child(run_dump, out, sizeof out);
      unsetenv("WEFT_DUMP");
      fprintf(stderr, "%s", out);
      CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      CHECK(strstr(out, "weft: task dump: 6 live tasks"));
      check_line(out, "task 'getter'", "waits on: queue get");
      check_line(out, "task 'reader'", "waits on: fd readable");
      check_line(out, "task 'waiter'", "waits on: await task 'sleeper'");
      check_line(out, "task 'sleeper'", "waits on: sleep, ");
      check_line(out, "task 'main'", "worker "); /* running or sleeping */
      /* The SIGQUIT dump turns the workers' record of tasks on. */
      check_line(out, "task 'sleeper'", "suspended (last on worker ");
    }
  }
  fprintf(stderr, "dump: all passed\n");
  return 0;
}
