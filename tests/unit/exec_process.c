/*
 * Subprocesses and signals: cat piping data (by hand and with communicate),
 * exit codes and stderr, a missing executable, cat ended by SIGTERM and by
 * SIGPIPE with their default actions although the parent ignores and
 * blocks them, a wait's deadline, no zombie after weft_process_free,
 * weft_signal_wait, and a program (this one, re-run in child mode) that
 * stops gracefully on SIGINT with its tasks cancelled and reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define MS ((int64_t)1000000)
#define DL(ms) (weft_now_ns() + (ms)*MS)

static char self_exe[4096];

/* The child's state letter in /proc, or 0 if it is gone. */
static char proc_state(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  char st = 0;
  if (fgets(line, sizeof line, f)) {
    char *rp = strrchr(line, ')');
    if (rp && rp[1] == ' ')
      st = rp[2];
  }
  fclose(f);
  return st;
}

static int t_cat_pipe(void *arg, void **result) {
  (void)arg;
  (void)result;
  char *argv[] = {"cat", NULL};
  weft_process_opts o = {
      .in = WEFT_STDIO_PIPE, .out = WEFT_STDIO_PIPE, .path_search = true};
  /* By hand: write, close stdin, read to the end, wait. */
  weft_process *p;
  CHECK_EQ(weft_process_spawn(argv, &o, &p), 0);
  CHECK(weft_process_pid(p) > 0);
  CHECK_EQ(
      weft_io_write_all(weft_process_stdin(p), "hello\n", 6, DL(5000), NULL),
      0);
  CHECK_EQ(weft_io_close(weft_process_stdin(p)), 0);
  char buf[64];
  size_t got = 0;
  CHECK_EQ(weft_io_read_exactly(weft_process_stdout(p), buf, sizeof buf,
                                DL(5000), &got),
           6);
  CHECK(memcmp(buf, "hello\n", 6) == 0);
  int code = -1;
  CHECK_EQ(weft_process_wait(p, DL(5000), &code), 0);
  CHECK_EQ(code, 0);
  CHECK_EQ(weft_process_send_signal(p, SIGTERM), -ESRCH); /* reaped */
  weft_process_free(p);

  /* communicate: 1 MiB through cat, more than any pipe buffer, so the
   * writing and the reading must overlap. */
  size_t n = (size_t)1 << 20;
  char *data = malloc(n);
  for (size_t i = 0; i < n; i++)
    data[i] = (char)(i * 7 + i / 4096);
  CHECK_EQ(weft_process_spawn(argv, &o, &p), 0);
  char *out = NULL;
  size_t out_len = 0;
  CHECK_EQ(weft_process_communicate(p, data, n, &out, &out_len, NULL, NULL,
                                    DL(20000), &code),
           0);
  CHECK_EQ(code, 0);
  CHECK_EQ(out_len, n);
  CHECK(memcmp(out, data, n) == 0);
  free(out);
  free(data);
  weft_process_free(p);
  return 0;
}

static int t_codes(void *arg, void **result) {
  (void)arg;
  (void)result;
  char *sh[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
  weft_process_opts o = {.out = WEFT_STDIO_PIPE, .err = WEFT_STDIO_PIPE};
  weft_process *p;
  CHECK_EQ(weft_process_spawn(sh, &o, &p), 0);
  char *out, *err;
  int code = 0;
  CHECK_EQ(weft_process_communicate(p, NULL, 0, &out, NULL, &err, NULL,
                                    DL(10000), &code),
           0);
  CHECK_EQ(code, 3);
  CHECK(strcmp(out, "out\n") == 0);
  CHECK(strcmp(err, "err\n") == 0);
  free(out);
  free(err);
  weft_process_free(p);

  /* A missing executable is -ENOENT, with and without the PATH search. */
  char *missing[] = {"/nonexistent/weft-no-such-program", NULL};
  CHECK_EQ(weft_process_spawn(missing, NULL, &p), -ENOENT);
  char *missing2[] = {"weft-no-such-program-anywhere", NULL};
  CHECK_EQ(weft_process_spawn(missing2,
                              &(weft_process_opts){.path_search = true}, &p),
           -ENOENT);
  CHECK_EQ(weft_process_spawn(NULL, NULL, &p), -EINVAL);

  /* A deadline, then a kill; -signo is the code. */
  char *sleeper[] = {"/bin/sleep", "30", NULL};
  CHECK_EQ(weft_process_spawn(sleeper, NULL, &p), 0);
  CHECK_EQ(weft_process_wait(p, DL(100), &code), -ETIMEDOUT);
  CHECK_EQ(weft_process_send_signal(p, SIGKILL), 0);
  CHECK_EQ(weft_process_wait(p, DL(5000), &code), 0);
  CHECK_EQ(code, -SIGKILL);
  weft_process_free(p);

  /* Freed without a wait: killed and reaped, no zombie left. */
  CHECK_EQ(weft_process_spawn(sleeper, NULL, &p), 0);
  pid_t pid = weft_process_pid(p);
  CHECK(proc_state(pid) != 0);
  weft_process_free(p);
  CHECK_EQ(proc_state(pid), 0);
  return 0;
}

/* The parent ignores SIGPIPE and blocks SIGTERM (see main): the child must
 * start with default dispositions and an empty mask anyway. */
static int t_signals_default(void *arg, void **result) {
  (void)arg;
  (void)result;
  char *argv[] = {"cat", NULL};
  weft_process_opts o = {
      .in = WEFT_STDIO_PIPE, .out = WEFT_STDIO_PIPE, .path_search = true};
  weft_process *p;
  int code = 0;
  /* SIGTERM: cat waits on its stdin, the signal ends it. */
  CHECK_EQ(weft_process_spawn(argv, &o, &p), 0);
  weft_sleep_ms(50);
  CHECK_EQ(weft_process_send_signal(p, SIGTERM), 0);
  CHECK_EQ(weft_process_wait(p, DL(5000), &code), 0);
  CHECK_EQ(code, -SIGTERM);
  weft_process_free(p);
  /* SIGPIPE: its stdout's reader is gone when it writes. */
  CHECK_EQ(weft_process_spawn(argv, &o, &p), 0);
  CHECK_EQ(weft_io_close(weft_process_stdout(p)), 0);
  static char chunk[4096];
  int err = weft_io_write_all(weft_process_stdin(p), chunk, sizeof chunk,
                              DL(5000), NULL);
  CHECK(err == 0 || err == -EPIPE);
  CHECK_EQ(weft_process_wait(p, DL(5000), &code), 0);
  CHECK_EQ(code, -SIGPIPE);
  weft_process_free(p);
  return 0;
}

/* ---- weft_signal_wait ---- */

static int wait_usr1(void *arg, void **result) {
  (void)arg;
  (void)result;
  return weft_signal_wait(SIGUSR1, DL(10000));
}

static int t_signal_wait(void *arg, void **result) {
  (void)arg;
  (void)result;
  CHECK_EQ(weft_signal_wait(SIGUSR2, -1), -EINVAL); /* not named */
  CHECK_EQ(weft_signal_wait(SIGUSR1, DL(50)), -ETIMEDOUT);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, wait_usr1, NULL), 0);
  weft_sleep_ms(50);
  CHECK_EQ(kill(getpid(), SIGUSR1), 0);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
  /* An arrival with nobody waiting is kept for the next wait. */
  CHECK_EQ(kill(getpid(), SIGUSR1), 0);
  weft_sleep_ms(100);
  CHECK_EQ(weft_signal_wait(SIGUSR1, DL(5000)), 0);
  CHECK_EQ(weft_signal_wait(SIGUSR1, DL(50)), -ETIMEDOUT); /* consumed */
  /* A cancelled wait consumes nothing. */
  CHECK_EQ(weft_spawn(&t, wait_usr1, NULL), 0);
  weft_sleep_ms(20);
  weft_cancel(t);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  weft_detach(t);
  CHECK_EQ(kill(getpid(), SIGUSR1), 0);
  CHECK_EQ(weft_signal_wait(SIGUSR1, DL(5000)), 0);
  /* SIGINT named by the program goes to its waiter, not to the shutdown. */
  CHECK_EQ(kill(getpid(), SIGINT), 0);
  CHECK_EQ(weft_signal_wait(SIGINT, DL(5000)), 0);
  return 0;
}

/* ---- graceful SIGINT: the child mode and the parent's check ---- */

static int sleeper_task(void *arg, void **result) {
  (void)result;
  int err = weft_sleep_ms(60000);
  printf("task %d: %s\n", (int)(intptr_t)arg,
         err == -ECANCELED ? "cancelled" : "woke");
  fflush(stdout);
  return err;
}

static int sigint_main(void *arg, void **result) {
  (void)arg;
  (void)result;
  weft_task *t[3];
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(weft_spawn(&t[i], sleeper_task, (void *)(intptr_t)i), 0);
    weft_detach(t[i]);
  }
  weft_yield(); /* let them start sleeping */
  printf("ready\n");
  fflush(stdout);
  int err = weft_sleep_ms(60000);
  printf("main: %s\n", err == -ECANCELED ? "cancelled" : "woke");
  fflush(stdout);
  return err;
}

static int sigint_child(void) {
  int rc = weft_run(NULL, sigint_main, NULL, NULL);
  printf("weft_run returned %s\n", rc == -EINTR ? "-EINTR" : "other");
  fflush(stdout);
  return 0;
}

static int t_sigint(void *arg, void **result) {
  (void)arg;
  (void)result;
  char *argv[] = {self_exe, "sigint-child", NULL};
  weft_process *p;
  CHECK_EQ(weft_process_spawn(argv,
                              &(weft_process_opts){.out = WEFT_STDIO_PIPE,
                                                   .err = WEFT_STDIO_PIPE},
                              &p),
           0);
  char buf[6];
  CHECK_EQ(
      weft_io_read_exactly(weft_process_stdout(p), buf, 6, DL(20000), NULL), 6);
  CHECK(memcmp(buf, "ready\n", 6) == 0);
  CHECK_EQ(weft_process_send_signal(p, SIGINT), 0);
  char *out, *err;
  int code = -1;
  CHECK_EQ(weft_process_communicate(p, NULL, 0, &out, NULL, &err, NULL,
                                    DL(20000), &code),
           0);
  fprintf(stderr, "child stdout:\n%schild stderr:\n%s", out, err);
  CHECK_EQ(code, 0); /* it stopped by itself, not by the signal */
  CHECK(strstr(out, "main: cancelled"));
  for (int i = 0; i < 3; i++) {
    char line[32];
    snprintf(line, sizeof line, "task %d: cancelled", i);
    CHECK(strstr(out, line));
  }
  CHECK(strstr(out, "weft_run returned -EINTR"));
  CHECK(strstr(err, "SIGINT"));
  free(out);
  free(err);
  weft_process_free(p);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "sigint-child") == 0)
    return sigint_child();
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  CHECK(n > 0);
  self_exe[n] = '\0';
  /* What a child must not inherit. */
  signal(SIGPIPE, SIG_IGN);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  for (int w = 1; w <= 2; w++) {
    RUN_WORKERS(t_cat_pipe, w);
    RUN_WORKERS(t_codes, w);
    RUN_WORKERS(t_signals_default, w);
    RUN_WORKERS(t_sigint, w);
  }
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.signals = WEFT_SIGNAL(SIGUSR1) | WEFT_SIGNAL(SIGINT);
  for (int w = 1; w <= 2; w++) {
    cfg.workers = w;
    fprintf(stderr, "-- t_signal_wait on %d worker(s)\n", w);
    CHECK_EQ(weft_run(&cfg, t_signal_wait, NULL, NULL), 0);
  }
  /* A signal that cannot be handled is refused. */
  cfg.signals = WEFT_SIGNAL(SIGKILL);
  CHECK_EQ(weft_run(&cfg, t_signal_wait, NULL, NULL), -EINVAL);
  fprintf(stderr, "ok\n");
  return 0;
}
