/* Bad input gets a clear, documented error and changes nothing. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "child.h"

static int nop(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

static int t_in_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t = NULL;
  CHECK_EQ(weft_spawn(&t, NULL, NULL), -EINVAL);
  CHECK_EQ(weft_spawn_at(NULL, nop, NULL, NULL, __FILE__, __LINE__), -EINVAL);
  weft_spawn_opts small = {.stack_size = WEFT_STACK_MIN - 1};
  CHECK_EQ(weft_spawn_opt(&t, nop, NULL, &small), -EINVAL);
  weft_spawn_opts huge = {.stack_size = (size_t)1 << 40};
  CHECK_EQ(weft_spawn_opt(&t, nop, NULL, &huge), -EINVAL);
  CHECK(t == NULL);
  CHECK_EQ(weft_sleep_ms(-1), -EINVAL);
  CHECK_EQ(weft_sleep_ns(-5), -EINVAL);
  CHECK_EQ(weft_sleep_ms(INT64_MAX), -EINVAL);
  CHECK_EQ(weft_await(NULL, NULL), -EINVAL);
  CHECK_EQ(weft_await(weft_self(), NULL), -EDEADLK);
  CHECK_EQ(weft_cancel(NULL), -EINVAL);
  weft_task *self = weft_self();
  CHECK_EQ(weft_gather(&self, 1, NULL, NULL, 0), -EDEADLK);
  CHECK_EQ(weft_gather(NULL, 1, NULL, NULL, 0), -EINVAL);
  weft_task *none[1] = {NULL};
  CHECK_EQ(weft_gather(none, 1, NULL, NULL, 0), -EINVAL);
  CHECK_EQ(weft_gather(NULL, 0, NULL, NULL, 0), 0);
  CHECK_EQ(weft_gather(NULL, 0, NULL, NULL, 1u << 7), -EINVAL);
  CHECK_EQ(weft_run(NULL, nop, NULL, NULL), -EDEADLK); /* nested run */
  weft_detach(NULL);                                   /* ignored */
  CHECK(strcmp(weft_task_name(NULL), "") == 0);
  return 0;
}

/* Spawning while the runtime shuts down is refused. */
static int spawn_rc = 1;
static int spawns_in_cleanup(void *arg, void **result) {
  (void)arg, (void)result;
  if (weft_sleep_ms(10000) == -ECANCELED) {
    weft_task *t;
    spawn_rc = weft_spawn(&t, nop, NULL);
  }
  return 0;
}

static int t_spawn_after_shutdown(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, spawns_in_cleanup, NULL), 0);
  weft_detach(t);
  return weft_yield();
}

/* A handle used after weft_detach released it aborts with a message naming
 * the misuse (ASan builds report the use-after-free themselves). */
static int t_await_after_detach(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, nop, NULL), 0);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
  weft_await(t, NULL); /* the misuse */
  return 0;
}

static __attribute__((unused)) void await_after_detach(void) {
  check_run_workers(t_await_after_detach, 1);
}

int main(void) {
#if !defined(__SANITIZE_THREAD__)
  /* Not under TSan: there, freed memory goes straight back to the allocator
   * and may be reused before the misuse reads it, so the check may see a
   * live object; ASan catches the use-after-free itself. */
  char out[8192];
  int status = run_in_child(await_after_detach, out, sizeof out);
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(strstr(out, "weft_await: the handle") ||
        strstr(out, "heap-use-after-free"));
#endif

  /* Outside any task. */
  weft_task *t = NULL;
  CHECK_EQ(weft_spawn(&t, nop, NULL), -EPERM);
  CHECK_EQ(weft_yield(), -EPERM);
  CHECK_EQ(weft_sleep_ms(1), -EPERM);
  CHECK_EQ(weft_await((weft_task *)&t, NULL), -EPERM);
  CHECK_EQ(weft_gather(NULL, 0, NULL, NULL, 0), -EPERM);
  CHECK(weft_self() == NULL);

  CHECK_EQ(weft_run(NULL, NULL, NULL, NULL), -EINVAL);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = -1;
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);
  weft_config_init(&cfg);
  cfg.workers = WEFT_MAX_WORKERS + 1;
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);
  weft_config_init(&cfg);
  setenv("WEFT_WORKERS", "lots", 1);
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);
  setenv("WEFT_WORKERS", "0", 1);
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);
  setenv("WEFT_WORKERS", "3", 1);
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), 0); /* 3 workers, oversubscribed */
  unsetenv("WEFT_WORKERS");
  weft_config_init(&cfg);
  cfg.stack_size = 100;
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);
  weft_config_init(&cfg);
  cfg.shutdown_grace = -1;
  CHECK_EQ(weft_run(&cfg, nop, NULL, NULL), -EINVAL);

  RUN(t_in_task);
  RUN(t_spawn_after_shutdown);
  CHECK_EQ(spawn_rc, -ESHUTDOWN);
  CHECK(strcmp(weft_strerror(-ECANCELED), "cancelled") == 0);
  CHECK(strcmp(weft_strerror(-ENOENT), "No such file or directory") == 0);
  fprintf(stderr, "bad_input: all passed\n");
  return 0;
}
