/* rt/inject.c: the global inject queue (see rt/inject.h). */
#include "rt/inject.h"

#include "rt/atomic.h"

void weft__inject_init(weft__inject *in) {
  pthread_mutex_init(&in->lock, NULL);
  weft__runq_init(&in->q);
  in->len = 0;
}

void weft__inject_fini(weft__inject *in) { pthread_mutex_destroy(&in->lock); }

void weft__inject_push(weft__inject *in, weft_task *t) {
  pthread_mutex_lock(&in->lock);
  weft__runq_push(&in->q, t);
  /* Pairs with the load in weft__inject_len: a worker that sees the new
   * length takes the lock and finds the task. */
  weft__store_release(&in->len, (uint64_t)in->q.len);
  pthread_mutex_unlock(&in->lock);
}

size_t weft__inject_drain(weft__inject *in, weft__runq *out) {
  if (weft__load_acquire(&in->len) == 0)
    return 0;
  pthread_mutex_lock(&in->lock);
  size_t n = in->q.len;
  weft__runq_append(out, &in->q);
  weft__store_release(&in->len, (uint64_t)0);
  pthread_mutex_unlock(&in->lock);
  return n;
}

void weft__inject_push_batch(weft__inject *in, weft_task *const *v, uint32_t n,
                             weft_task *extra) {
  pthread_mutex_lock(&in->lock);
  for (uint32_t i = 0; i < n; i++)
    weft__runq_push(&in->q, v[i]);
  if (extra)
    weft__runq_push(&in->q, extra);
  weft__store_release(&in->len, (uint64_t)in->q.len);
  pthread_mutex_unlock(&in->lock);
}

void weft__inject_push_front(weft__inject *in, weft__runq *list) {
  if (list->len == 0)
    return;
  pthread_mutex_lock(&in->lock);
  weft__runq_append(list, &in->q); /* list, then the queue, in list */
  in->q = *list;
  weft__runq_init(list);
  weft__store_release(&in->len, (uint64_t)in->q.len);
  pthread_mutex_unlock(&in->lock);
}

uint32_t weft__inject_pop_batch(weft__inject *in, weft_task **out,
                                uint32_t max) {
  if (weft__load_acquire(&in->len) == 0)
    return 0;
  pthread_mutex_lock(&in->lock);
  uint32_t n = 0;
  while (n < max && in->q.len)
    out[n++] = weft__runq_pop(&in->q);
  weft__store_release(&in->len, (uint64_t)in->q.len);
  pthread_mutex_unlock(&in->lock);
  return n;
}
