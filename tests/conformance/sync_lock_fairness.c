/* Mirrors sync_lock_fairness.py: the lock goes round in FIFO order and a
 * task that releases and asks again queues behind the waiters. */
#include "conformance.h"

static weft_lock *lock;

static int worker(void *arg, void **result) {
  (void)result;
  const char *name = arg;
  for (int i = 0; i < 3; i++) {
    CHECK(weft_lock_acquire(lock));
    printf("%s got %d\n", name, i);
    CHECK(weft_yield());
    CHECK(weft_lock_release(lock));
    printf("%s released %d\n", name, i);
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK(weft_lock_new(&lock));
  static const char *names[] = {"a", "b", "c"};
  weft_task *ts[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&ts[i], worker, (void *)names[i]));
  CHECK(weft_gather(ts, 3, NULL, NULL, 0));
  printf("locked: %s\n", PYBOOL(weft_lock_locked(lock)));
  for (int i = 0; i < 3; i++)
    weft_detach(ts[i]);
  CHECK(weft_lock_free(lock));
  return 0;
}

int main(void) { return conformance_run(main_task); }
