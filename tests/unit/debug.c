/* Debug mode: a slow task, a task left pending at shutdown and a task that
 * nearly filled its stack are each reported on stderr, by name; without
 * debug mode nothing is said. */
#include <string.h>
#include <time.h>

#include "check.h"
#include "child.h"

static int spin(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t until = weft_now_ns() + 150 * 1000000LL; /* blocks its worker */
  while (weft_now_ns() < until) {
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

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *a, *b, *c;
  weft_spawn_opts so = {.name = "spinner"};
  weft_spawn_opts dq = {.name = "deep", .stack_size = 32 * 1024};
  weft_spawn_opts fo = {.name = "forgotten"};
  CHECK_EQ(weft_spawn_opt(&a, spin, NULL, &so), 0);
  CHECK_EQ(weft_spawn_opt(&b, deep, NULL, &dq), 0);
  CHECK_EQ(weft_spawn_opt(&c, forever, NULL, &fo), 0);
  CHECK_EQ(weft_await(a, NULL), 0);
  CHECK_EQ(weft_await(b, NULL), 0);
  weft_detach(a);
  weft_detach(b);
  weft_detach(c);
  return 0;
}

static bool debug_on;

static void child(void) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.debug = debug_on;
  CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
}

int main(void) {
  char out[8192];
  debug_on = true;
  int status = run_in_child(child, out, sizeof out);
  fprintf(stderr, "debug mode said:\n%s", out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strstr(out, "task 'spinner'") && strstr(out, "without suspending"));
  CHECK(strstr(out, "task 'deep'") && strstr(out, "of its 32768-byte stack"));
  CHECK(strstr(out, "task 'forgotten'") && strstr(out, "still pending"));
  CHECK(!strstr(out, "task 'main'"));

  debug_on = false;
  status = run_in_child(child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(strcmp(out, "") == 0);
  fprintf(stderr, "debug: all passed\n");
  return 0;
}
