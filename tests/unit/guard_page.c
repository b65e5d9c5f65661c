/* A task that runs past the end of its stack hits the guard page below it
 * and is reported in words (name, spawn site, stack size), then the process
 * aborts. Run in a child process. */
#include <signal.h>
#include <string.h>

#include "check.h"
#include "child.h"

static volatile int limit = 1 << 30; /* never reached: the guard stops it */

__attribute__((noinline)) static int recurse(volatile char *prev, int depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  frame[511] = prev ? prev[0] : 0;
  if (depth >= limit)
    return 0;
  return recurse(frame, depth + 1) + frame[1];
}

static int deep(void *arg, void **result) {
  (void)arg;
  (void)result;
  return recurse(NULL, 0);
}

static int main_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  weft_task *t;
  weft_spawn_opts o = {.name = "deep-recursion", .stack_size = 32 * 1024};
  CHECK_EQ(weft_spawn_opt(&t, deep, NULL, &o), 0);
  weft_await(t, NULL);
  weft_detach(t);
  return 0;
}

static void child(void) { weft_run(NULL, main_task, NULL, NULL); }

int main(void) {
  char out[4096];
  int status = run_in_child(child, out, sizeof out);
  fprintf(stderr, "child said: %s", out);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  CHECK(strstr(out, "stack overflow"));
  CHECK(strstr(out, "'deep-recursion'"));
  CHECK(strstr(out, "guard_page.c:"));
  CHECK(strstr(out, "32768-byte stack"));
  return 0;
}
