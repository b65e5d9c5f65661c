/* rt/order_test.c: the perturbed orders of rt/order_test.h. */
#include "rt/order_test.h"

#if defined(WEFT_TEST_ORDER)

#include <stdlib.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/worker.h"

void weft__order_init(weft__worker *w) {
  const char *mode = getenv("WEFT_TEST_ORDER");
  w->order_mode = 0;
  if (mode && strncmp(mode, "random:", 7) == 0) {
    w->order_mode = 1;
    w->order_seed = (unsigned)strtoul(mode + 7, NULL, 10) + 1;
  } else if (mode && strcmp(mode, "lifo") == 0) {
    w->order_mode = 2;
  }
  w->order_slot = NULL;
}

bool weft__order_push(weft__worker *w, weft_task *t) {
  if (w->order_mode != 2)
    return false;
  if (w->order_slot)
    weft__runq_push(&w->runq, w->order_slot);
  w->order_slot = t;
  return true;
}

weft_task *weft__order_take(weft__worker *w) {
  weft_task *t = w->order_slot;
  w->order_slot = NULL;
  return t;
}

void weft__order_batch(weft__worker *w, size_t n) {
  if (w->order_mode != 1 || n < 2)
    return;
  weft_task **v = weft__alloc(n * sizeof(weft_task *));
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    v[i] = weft__runq_pop(&w->runq);
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)rand_r(&w->order_seed) % (i + 1);
    weft_task *tmp = v[i];
    v[i] = v[j];
    v[j] = tmp;
  }
  /* The shuffled batch goes back in front of whatever follows it. */
  weft__runq rest = w->runq;
  weft__runq_init(&w->runq);
  for (size_t i = 0; i < n; i++)
    weft__runq_push(&w->runq, v[i]);
  weft__runq_append(&w->runq, &rest);
  weft__free(v, n * sizeof(weft_task *));
}

#endif
