/* ASan sees a task's stack as a stack: an overflow of a local array in a
 * task is reported as a stack-buffer-overflow in the right function. Only
 * built with -DWEFT_SANITIZE=address. */
#include <string.h>

#include "check.h"
#include "child.h"

static volatile int index_past_end = 16;

/* UBSan would report the access first; this test is about ASan. */
__attribute__((noinline, no_sanitize("undefined"))) static int
overflow_here(void) {
  char buf[16];
  memset(buf, 'x', sizeof buf);
  /* Through a pointer, so UBSan's bounds check leaves it to ASan. */
  volatile char *p = buf;
  return p[index_past_end]; /* one past the end */
}

static int task(void *arg, void **result) {
  (void)arg;
  (void)result;
  return overflow_here();
}

static int main_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, task, NULL), 0);
  weft_await(t, NULL);
  weft_detach(t);
  return 0;
}

static void child(void) { weft_run(NULL, main_task, NULL, NULL); }

int main(void) {
  static char out[1 << 16];
  int status = run_in_child(child, out, sizeof out);
  fprintf(stderr, "%s", out);
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(strstr(out, "AddressSanitizer: stack-buffer-overflow"));
  CHECK(strstr(out, "in overflow_here"));
  /* The frame belongs to the task's stack, not to a heap or global. */
  CHECK(strstr(out, "is located in stack of thread"));
  fprintf(stderr, "asan_overflow: reported as expected\n");
  return 0;
}
