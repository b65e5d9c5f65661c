/* Mirrors sync_queue_bounded.py: a bounded queue between a producer and a
 * consumer, then LIFO and priority orders and the non-waiting forms. */
#include <errno.h>

#include "conformance.h"

static weft_queue *q;

static int producer(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 6; i++) {
    CHECK(weft_queue_put(q, INT_RESULT(i)));
    printf("put %d\n", i);
  }
  CHECK(weft_queue_put(q, INT_RESULT(-1)));
  return 0;
}

static int consumer(void *arg, void **result) {
  (void)arg, (void)result;
  for (;;) {
    void *item;
    CHECK(weft_queue_get(q, &item));
    CHECK(weft_queue_task_done(q));
    if (RESULT_INT(item) < 0)
      break;
    printf("got %d\n", RESULT_INT(item));
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK(weft_queue_new(&q, WEFT_QUEUE_FIFO, 2));
  weft_task *ts[2];
  CHECK(weft_spawn(&ts[0], producer, NULL));
  CHECK(weft_spawn(&ts[1], consumer, NULL));
  CHECK(weft_queue_join(q));
  printf("joined\n");
  CHECK(weft_gather(ts, 2, NULL, NULL, 0));
  weft_detach(ts[0]);
  weft_detach(ts[1]);
  CHECK(weft_queue_free(q));

  void *it;
  CHECK(weft_queue_new(&q, WEFT_QUEUE_LIFO, 0));
  for (int i = 0; i < 4; i++)
    CHECK(weft_queue_try_put(q, INT_RESULT(i)));
  printf("lifo: [");
  for (int i = 0; i < 4; i++) {
    CHECK(weft_queue_try_get(q, &it));
    printf("%s%d", i ? ", " : "", RESULT_INT(it));
  }
  printf("]\n");
  CHECK(weft_queue_free(q));
  CHECK(weft_queue_new(&q, WEFT_QUEUE_PRIORITY, 0));
  static const int prios[] = {5, 1, 3, 0, 4};
  for (int i = 0; i < 5; i++)
    CHECK(weft_queue_try_put_prio(q, prios[i], INT_RESULT(prios[i] * 10)));
  printf("priority: [");
  for (int i = 0; i < 5; i++) {
    CHECK(weft_queue_try_get(q, &it));
    printf("%s%d", i ? ", " : "", RESULT_INT(it));
  }
  printf("]\n");
  CHECK(weft_queue_free(q));
  CHECK(weft_queue_new(&q, WEFT_QUEUE_FIFO, 1));
  CHECK(weft_queue_try_put(q, INT_RESULT(1)));
  if (weft_queue_try_put(q, INT_RESULT(2)) == -EAGAIN)
    printf("full\n");
  CHECK(weft_queue_try_get(q, &it));
  if (weft_queue_try_get(q, &it) == -EAGAIN)
    printf("empty\n");
  CHECK(weft_queue_free(q));
  return 0;
}

int main(void) { return conformance_run(main_task); }
