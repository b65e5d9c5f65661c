/* Mirrors sync_condition_notify.py: notify(n) wakes the n oldest waiters,
 * notify_all the rest, each taking the lock again before it returns. */
#include "conformance.h"

static weft_cond *cond;

static int waiter(void *arg, void **result) {
  (void)result;
  weft_lock *l = weft_cond_lock(cond);
  CHECK(weft_lock_acquire(l));
  printf("%s waits\n", (const char *)arg);
  CHECK(weft_cond_wait(cond));
  printf("%s notified\n", (const char *)arg);
  CHECK(weft_lock_release(l));
  return 0;
}

static void notify(const char *what, size_t n) {
  weft_lock *l = weft_cond_lock(cond);
  CHECK(weft_lock_acquire(l));
  printf("%s\n", what);
  CHECK(weft_cond_notify(cond, n));
  CHECK(weft_lock_release(l));
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK(weft_cond_new(&cond, NULL));
  static const char *names[] = {"a", "b", "c", "d", "e"};
  weft_task *ts[5];
  for (int i = 0; i < 5; i++)
    CHECK(weft_spawn(&ts[i], waiter, (void *)names[i]));
  CHECK(weft_yield());
  notify("notify 1", 1);
  CHECK(weft_yield());
  notify("notify 2", 2);
  CHECK(weft_yield());
  notify("notify all", SIZE_MAX);
  CHECK(weft_gather(ts, 5, NULL, NULL, 0));
  printf("done\n");
  for (int i = 0; i < 5; i++)
    weft_detach(ts[i]);
  CHECK(weft_cond_free(cond));
  return 0;
}

int main(void) { return conformance_run(main_task); }
