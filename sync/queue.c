/*
 * sync/queue.c: asyncio.Queue, LifoQueue and PriorityQueue, bounded or not,
 * with asyncio's algorithm: a getter waits while the queue is empty and a
 * putter while it is full; put wakes the first getter and get wakes the
 * first putter, and the woken task checks again (at the back of the line if
 * it has to wait again, as asyncio appends a new future). Items stay in the
 * buffer until a get takes them, so a cancelled getter loses no item: one
 * woken and cancelled before it ran again passes its wake-up to the next
 * getter if items remain (putters likewise, for room). Everything is under
 * the queue's spinlock. Storage: a ring (FIFO), a stack (LIFO) or a binary
 * min-heap on (priority, arrival) (PRIORITY), grown by doubling.
 */
#include "sync/sync.h"

#include <string.h>

typedef struct entry {
  void *item;
  int64_t prio;
  uint64_t seq;
} entry;

struct weft_queue {
  weft__spinlock lk;
  weft_queue_kind kind;
  size_t maxsize; /* 0: unbounded */
  entry *buf;
  size_t cap, head, count; /* count: read unlocked by weft_queue_size */
  uint64_t seq;
  size_t unfinished;
  bool closed;
  weft__waitq getters, putters, joiners;
};

int weft_queue_new(weft_queue **out, weft_queue_kind kind, size_t maxsize) {
  if (!out || (kind != WEFT_QUEUE_FIFO && kind != WEFT_QUEUE_LIFO &&
               kind != WEFT_QUEUE_PRIORITY))
    return -EINVAL;
  weft_queue *q = weft__calloc(sizeof *q);
  if (!q)
    return -ENOMEM;
  q->kind = kind;
  q->maxsize = maxsize;
  weft__waitq_init(&q->getters);
  weft__waitq_init(&q->putters);
  weft__waitq_init(&q->joiners);
  *out = q;
  return 0;
}

int weft_queue_free(weft_queue *q) {
  if (!q)
    return 0;
  weft__spin_lock(&q->lk);
  bool busy = !weft__waitq_empty_locked(&q->getters) ||
              !weft__waitq_empty_locked(&q->putters) ||
              !weft__waitq_empty_locked(&q->joiners);
  weft__spin_unlock(&q->lk);
  if (busy)
    return -EBUSY;
  weft__free(q->buf, q->cap * sizeof(entry));
  weft__free(q, sizeof *q);
  return 0;
}

static bool full(const weft_queue *q) {
  return q->maxsize > 0 && q->count >= q->maxsize;
}

static bool before(const entry *a, const entry *b) {
  return a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq);
}

/* Room for one more entry; the ring is unwrapped into the new buffer. */
static int grow(weft_queue *q) {
  if (q->count < q->cap)
    return 0;
  size_t ncap = q->cap ? q->cap * 2 : 8;
  entry *nb = weft__alloc(ncap * sizeof(entry));
  if (!nb)
    return -ENOMEM;
  for (size_t i = 0; q->cap > 0 && i < q->count; i++) /* count <= cap */
    nb[i] = q->buf[(q->head + i) % q->cap];
  weft__free(q->buf, q->cap * sizeof(entry));
  q->buf = nb;
  q->cap = ncap;
  q->head = 0;
  return 0;
}

static int push_item(weft_queue *q, int64_t prio, void *item) {
  int err = grow(q);
  if (err)
    return err;
  entry e = {item, prio, q->seq++};
  if (q->kind == WEFT_QUEUE_FIFO) {
    q->buf[(q->head + q->count) % q->cap] = e;
  } else if (q->kind == WEFT_QUEUE_LIFO) {
    q->buf[q->count] = e;
  } else { /* sift up */
    size_t i = q->count;
    while (i > 0 && before(&e, &q->buf[(i - 1) / 2])) {
      q->buf[i] = q->buf[(i - 1) / 2];
      i = (i - 1) / 2;
    }
    q->buf[i] = e;
  }
  weft__store_relaxed(&q->count, q->count + 1);
  q->unfinished++;
  return 0;
}

static void *pop_item(weft_queue *q) {
  size_t n = q->count - 1;
  void *item;
  if (q->kind == WEFT_QUEUE_FIFO) {
    item = q->buf[q->head].item;
    q->head = (q->head + 1) % q->cap;
  } else if (q->kind == WEFT_QUEUE_LIFO) {
    item = q->buf[n].item;
  } else { /* sift the last entry down from the root */
    item = q->buf[0].item;
    entry last = q->buf[n];
    size_t i = 0;
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n)
        break;
      if (c + 1 < n && before(&q->buf[c + 1], &q->buf[c]))
        c++;
      if (!before(&q->buf[c], &last))
        break;
      q->buf[i] = q->buf[c];
      i = c;
    }
    if (n > 0)
      q->buf[i] = last;
  }
  weft__store_relaxed(&q->count, n);
  return item;
}

/* Called with lk held; unlocks. The put_nowait part of put. */
static int put_now_unlock(weft_queue *q, int64_t prio, void *item) {
  int err = push_item(q, prio, item);
  if (!err)
    weft__waitq_wake_one_locked(&q->getters, 0, NULL);
  weft__spin_unlock(&q->lk);
  return err;
}

static int put(weft_queue *q, int64_t prio, void *item, bool wait) {
  if (!q)
    return -EINVAL;
  weft_task *self = NULL;
  weft__spin_lock(&q->lk);
  for (;;) {
    if (q->closed) {
      weft__spin_unlock(&q->lk);
      return -EPIPE;
    }
    if (!full(q))
      return put_now_unlock(q, prio, item);
    if (!wait) {
      weft__spin_unlock(&q->lk);
      return -EAGAIN;
    }
    if (!self && !(self = weft__self())) {
      weft__spin_unlock(&q->lk);
      return -EPERM;
    }
    int st = weft__sync_wait(&q->putters, &q->lk, self, "queue put");
    if (st == -ECANCELED)
      return st;
    if (weft__cancel_take(self)) { /* woken, then cancelled: pass it on */
      weft__spin_lock(&q->lk);
      if (!full(q))
        weft__waitq_wake_one_locked(&q->putters, 0, NULL);
      weft__spin_unlock(&q->lk);
      return -ECANCELED;
    }
    weft__spin_lock(&q->lk);
  }
}

int weft_queue_put(weft_queue *q, void *item) { return put(q, 0, item, true); }
int weft_queue_put_prio(weft_queue *q, int64_t prio, void *item) {
  return put(q, prio, item, true);
}
int weft_queue_try_put(weft_queue *q, void *item) {
  return put(q, 0, item, false);
}
int weft_queue_try_put_prio(weft_queue *q, int64_t prio, void *item) {
  return put(q, prio, item, false);
}

static int get(weft_queue *q, void **item, bool wait) {
  if (!q || !item)
    return -EINVAL;
  weft_task *self = NULL;
  weft__spin_lock(&q->lk);
  for (;;) {
    if (q->count > 0) {
      *item = pop_item(q);
      weft__waitq_wake_one_locked(&q->putters, 0, NULL);
      weft__spin_unlock(&q->lk);
      return 0;
    }
    if (q->closed || !wait) {
      bool closed = q->closed;
      weft__spin_unlock(&q->lk);
      return closed ? -EPIPE : -EAGAIN;
    }
    if (!self && !(self = weft__self())) {
      weft__spin_unlock(&q->lk);
      return -EPERM;
    }
    int st = weft__sync_wait(&q->getters, &q->lk, self, "queue get");
    if (st == -ECANCELED)
      return st;
    if (weft__cancel_take(self)) { /* woken, then cancelled: pass it on */
      weft__spin_lock(&q->lk);
      if (q->count > 0)
        weft__waitq_wake_one_locked(&q->getters, 0, NULL);
      weft__spin_unlock(&q->lk);
      return -ECANCELED;
    }
    weft__spin_lock(&q->lk);
  }
}

int weft_queue_get(weft_queue *q, void **item) { return get(q, item, true); }
int weft_queue_try_get(weft_queue *q, void **item) {
  return get(q, item, false);
}

int weft_queue_task_done(weft_queue *q) {
  if (!q)
    return -EINVAL;
  weft__spin_lock(&q->lk);
  if (q->unfinished == 0) {
    weft__spin_unlock(&q->lk);
    return -EOVERFLOW;
  }
  if (--q->unfinished == 0)
    weft__waitq_wake_all_locked(&q->joiners, 0);
  weft__spin_unlock(&q->lk);
  return 0;
}

int weft_queue_join(weft_queue *q) {
  if (!q)
    return -EINVAL;
  weft__spin_lock(&q->lk);
  if (q->unfinished == 0) {
    weft__spin_unlock(&q->lk);
    return 0;
  }
  weft_task *self = weft__self();
  if (!self) {
    weft__spin_unlock(&q->lk);
    return -EPERM;
  }
  int st = weft__sync_wait(&q->joiners, &q->lk, self, "queue join");
  if (st == 0 && weft__cancel_take(self))
    return -ECANCELED;
  return st;
}

void weft_queue_close(weft_queue *q) {
  weft__spin_lock(&q->lk);
  q->closed = true;
  weft__waitq_wake_all_locked(&q->putters, 0);
  weft__waitq_wake_all_locked(&q->getters, 0);
  weft__spin_unlock(&q->lk);
}

size_t weft_queue_size(const weft_queue *q) {
  return weft__load_relaxed(&q->count);
}
size_t weft_queue_maxsize(const weft_queue *q) { return q->maxsize; }
