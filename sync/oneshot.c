/*
 * sync/oneshot.c: a channel that carries one value once. States under the
 * channel's lock: EMPTY, FULL (sent, not received), TAKEN (received),
 * CLOSED (the sender gave up with nothing sent). send wakes the receiver,
 * which takes the value itself, so a receive cancelled at the moment the
 * value arrives leaves the value in place for the next receive.
 */
#include "sync/sync.h"

enum { EMPTY, FULL, TAKEN, CLOSED };

struct weft_oneshot {
  weft__spinlock lk;
  int state;
  void *value;
  weft__waitq rx;
};

int weft_oneshot_new(weft_oneshot **out) {
  if (!out)
    return -EINVAL;
  weft_oneshot *o = weft__calloc(sizeof *o);
  if (!o)
    return -ENOMEM;
  o->state = EMPTY;
  weft__waitq_init(&o->rx);
  *out = o;
  return 0;
}

int weft_oneshot_free(weft_oneshot *o) {
  if (!o)
    return 0;
  weft__spin_lock(&o->lk);
  bool busy = !weft__waitq_empty_locked(&o->rx);
  weft__spin_unlock(&o->lk);
  if (busy)
    return -EBUSY;
  weft__free(o, sizeof *o);
  return 0;
}

int weft_oneshot_send(weft_oneshot *o, void *value) {
  if (!o)
    return -EINVAL;
  weft__spin_lock(&o->lk);
  int rc = 0;
  if (o->state == CLOSED) {
    rc = -EPIPE;
  } else if (o->state != EMPTY) {
    rc = -EALREADY;
  } else {
    o->value = value;
    o->state = FULL;
    weft__waitq_wake_all_locked(&o->rx, 0);
  }
  weft__spin_unlock(&o->lk);
  return rc;
}

void weft_oneshot_close(weft_oneshot *o) {
  weft__spin_lock(&o->lk);
  if (o->state == EMPTY) {
    o->state = CLOSED;
    weft__waitq_wake_all_locked(&o->rx, 0);
  }
  weft__spin_unlock(&o->lk);
}

static int recv(weft_oneshot *o, void **value, bool wait) {
  if (!o || !value)
    return -EINVAL;
  weft_task *self = NULL;
  weft__spin_lock(&o->lk);
  for (;;) {
    int rc;
    switch (o->state) {
    case FULL:
      *value = o->value;
      o->state = TAKEN;
      rc = 0;
      break;
    case TAKEN:
      rc = -EALREADY;
      break;
    case CLOSED:
      rc = -EPIPE;
      break;
    default:
      rc = wait ? 1 : -EAGAIN;
      break;
    }
    if (rc <= 0) {
      weft__spin_unlock(&o->lk);
      return rc;
    }
    if (!self && !(self = weft__self())) {
      weft__spin_unlock(&o->lk);
      return -EPERM;
    }
    int st = weft__sync_wait(&o->rx, &o->lk, self, "oneshot");
    if (st == -ECANCELED || weft__cancel_take(self))
      return -ECANCELED; /* the value, if sent, stays */
    weft__spin_lock(&o->lk);
  }
}

int weft_oneshot_recv(weft_oneshot *o, void **value) {
  return recv(o, value, true);
}
int weft_oneshot_try_recv(weft_oneshot *o, void **value) {
  return recv(o, value, false);
}
