/* weft-top against a running example: examples/busy runs with its
 * inspector socket open (WEFT_TOP=path, two workers); weft-top in batch
 * mode prints frames with a row of rates for each worker, -t prints the
 * task dump through the same socket, and the socket is gone once the
 * program has ended. The example runs until the test interrupts it (SIGINT:
 * the runtime cancels its main task and shuts down), so that a slow start
 * on a loaded machine cannot let its work end before weft-top looks (the
 * stress suite once saw only the main task left, with a fixed 6 s run).
 *
 *   test_top WEFT_TOP_EXE BUSY_EXE */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void run(const char *cmd, char *out, size_t len) {
  fprintf(stderr, "$ %s\n", cmd);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  size_t n = fread(out, 1, len - 1, p);
  out[n] = '\0';
  CHECK_EQ(pclose(p), 0);
  fprintf(stderr, "%s", out);
}

int main(int argc, char **argv) {
  CHECK_EQ(argc, 3);
  char sock[128];
  snprintf(sock, sizeof sock, "/tmp/weft-top-test-%ld.sock", (long)getpid());
  unlink(sock);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    setenv("WEFT_TOP", sock, 1);
    setenv("WEFT_WORKERS", "2", 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind if the test fails */
    execl(argv[2], argv[2], "120", (char *)NULL); /* seconds, at most */
    _exit(127);
  }
  /* The socket appears once the runtime has started. */
  for (int i = 0; access(sock, F_OK) != 0; i++) {
    CHECK(i < 1000); /* 10 s */
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  /* The task dump lists every live task, main last: 16 KiB held about 230
   * of them, and the stress build's busy program reached 249. */
  static char out[1 << 20];
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s -b -n 2 -d 0.3 %s", argv[1], sock);
  run(cmd, out, sizeof out);
  /* Two frames, each with a header and a row per worker. */
  const char *f1 = strstr(out, "weft-top ");
  CHECK(f1 && strstr(f1, "workers 2"));
  const char *f2 = strstr(f1 + 1, "weft-top ");
  CHECK(f2 != NULL);
  for (const char *f = f1; f; f = f == f1 ? f2 : NULL) {
    CHECK(strstr(f, "worker    tasks/s   switch/s"));
    CHECK(strstr(f, "\n     0 ") && strstr(f, "\n     1 ") &&
          strstr(f, "\n   all "));
  }
  /* Work was going on: the switch rate on the "all" row is not zero. */
  const char *all = strstr(f2, "\n   all ");
  double tasks_rate = 0, switch_rate = 0;
  CHECK_EQ(sscanf(all, "\n   all %lf %lf", &tasks_rate, &switch_rate), 2);
  CHECK(switch_rate > 0);

  snprintf(cmd, sizeof cmd, "%s -t %s", argv[1], sock);
  run(cmd, out, sizeof out);
  CHECK(strstr(out, "weft: task dump: ") && strstr(out, "task 'main'"));
  CHECK(strstr(out, "busy.c:"));

  /* Interrupted, it shuts down and exits: busy reports its main task's
   * cancellation as a failure (1), not a crash. */
  CHECK_EQ(kill(pid, SIGINT), 0);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  CHECK(access(sock, F_OK) != 0); /* removed at shutdown */
  /* Nobody there: weft-top says so and fails. */
  snprintf(cmd, sizeof cmd, "%s -b -n 1 %s 2>&1", argv[1], sock);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  CHECK(pclose(p) != 0);
  CHECK(strstr(out, "cannot reach"));
  fprintf(stderr, "top: all passed\n");
  return 0;
}
