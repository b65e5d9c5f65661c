/* Mirrors sync_semaphore.py: a semaphore of 2 admits two tasks at a time in
 * FIFO order; a bounded one refuses a release above its start. */
#include <errno.h>

#include "conformance.h"

static weft_sem *sem;

static int worker(void *arg, void **result) {
  (void)result;
  CHECK(weft_sem_acquire(sem));
  printf("%s in\n", (const char *)arg);
  CHECK(weft_yield());
  printf("%s out\n", (const char *)arg);
  CHECK(weft_sem_release(sem));
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK(weft_sem_new(&sem, 2));
  static const char *names[] = {"a", "b", "c", "d", "e"};
  weft_task *ts[5];
  for (int i = 0; i < 5; i++)
    CHECK(weft_spawn(&ts[i], worker, (void *)names[i]));
  CHECK(weft_gather(ts, 5, NULL, NULL, 0));
  for (int i = 0; i < 5; i++)
    weft_detach(ts[i]);
  CHECK(weft_sem_free(sem));
  weft_sem *bs;
  CHECK(weft_sem_new_bounded(&bs, 1));
  if (weft_sem_release(bs) == -EOVERFLOW)
    printf("bounded: ValueError\n");
  CHECK(weft_sem_free(bs));
  return 0;
}

int main(void) { return conformance_run(main_task); }
