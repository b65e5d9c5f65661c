/*
 * rt/scope.c: timeout and shield scopes, wait_for, await_shielded.
 *
 * Each task keeps a stack of its open scopes (weft_task.scopes), so a scope
 * left out of order is refused. A shield scope raises the task's shield
 * depth, which rt/task.c's cancellation checks honour (a pending
 * cancellation is not delivered, weft_cancel forwards none).
 *
 * A timeout scope shares a small record with a watchdog task, spawned
 * eagerly when the scope opens: under the record's wait-queue lock, the
 * watchdog checks whether the scope was closed or its deadline passed; if
 * passed, it marks the scope expired and cancels the owner (still under the
 * lock, so the owner's exit sees either "expired" or closes first, never a
 * cancel after its exit); else it blocks on the queue until the deadline,
 * a reschedule, or the close wakes it (weft__waitq_block re-checks its
 * ready condition under the same lock, so no change is missed). The record
 * is freed by whichever of the scope and the watchdog drops it last. The
 * exit accounts cancellations as asyncio's Task.cancelling()/uncancel() do:
 * weft_cancel counts every request, the exit of an expired scope takes its
 * own back, and reports -ETIMEDOUT only when none other remains.
 */
#include <errno.h>

#include "rt/alloc.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "weft/scope.h"

struct weft__scope {
  struct weft__scope *parent;
  weft_task *owner;
};

typedef struct tshared {
  weft__waitq wq; /* its lock guards the fields below */
  int64_t deadline;
  bool closed, expired, changed;
  uint32_t refs; /* atomic: the scope and the watchdog */
  weft_task *owner;
} tshared;

struct weft_timeout {
  struct weft__scope sc;
  tshared *sh;
  uint32_t base; /* the owner's cancel requests when it opened */
};

struct weft_shield {
  struct weft__scope sc;
};

static void scope_push(struct weft__scope *sc, weft_task *self) {
  sc->owner = self;
  sc->parent = self->scopes;
  self->scopes = sc;
}

/* 0 if sc is the calling task's innermost scope (then popped). */
static int scope_pop(struct weft__scope *sc) {
  weft_task *self = weft__self();
  if (!self || sc->owner != self)
    return -EPERM;
  if (self->scopes != sc)
    return -EINVAL;
  self->scopes = sc->parent;
  return 0;
}

static void shared_drop(tshared *sh) {
  if (ck_pr_faa_32(&sh->refs, (uint32_t)-1) == 1)
    weft__free(sh, sizeof *sh);
}

static bool watchdog_ready(void *ctx) {
  tshared *sh = ctx;
  return sh->closed || sh->changed;
}

static int watchdog(void *arg, void **result) {
  (void)result;
  tshared *sh = arg;
  for (;;) {
    weft__waitq_lock(&sh->wq);
    if (sh->closed)
      break;
    int64_t dl = sh->deadline;
    if (dl >= 0 && weft_now_ns() >= dl) {
      sh->expired = true;
      weft_cancel(sh->owner);
      break;
    }
    sh->changed = false;
    weft__waitq_unlock(&sh->wq);
    if (weft__waitq_block(&sh->wq, watchdog_ready, sh, dl) == -ECANCELED) {
      weft__waitq_lock(&sh->wq); /* the runtime is shutting down */
      break;
    }
  }
  weft__waitq_unlock(&sh->wq);
  shared_drop(sh);
  return 0;
}

int weft_timeout_enter_at(weft_timeout **out, int64_t deadline) {
  if (!out || deadline < -1)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft_timeout *s = weft__calloc(sizeof *s);
  tshared *sh = weft__calloc(sizeof *sh);
  if (!s || !sh) {
    weft__free(s, sizeof *s);
    weft__free(sh, sizeof *sh);
    return -ENOMEM;
  }
  weft__waitq_init(&sh->wq);
  sh->deadline = deadline;
  sh->owner = self;
  sh->refs = 2;
  s->sh = sh;
  s->base = weft__cancelling(self);
  weft_spawn_opts o = {.name = "timeout watchdog", .eager = true};
  weft_task *wd;
  int err = weft_spawn_opt(&wd, watchdog, sh, &o);
  if (err) {
    weft__free(s, sizeof *s);
    weft__free(sh, sizeof *sh);
    return err;
  }
  weft_detach(wd);
  scope_push(&s->sc, self);
  *out = s;
  return 0;
}

int weft_timeout_enter(weft_timeout **out, int64_t ns) {
  if (ns < 0 || ns > INT64_MAX / 2)
    return -EINVAL;
  return weft_timeout_enter_at(out, weft_now_ns() + ns);
}

int weft_timeout_reschedule(weft_timeout *s, int64_t deadline) {
  if (!s || deadline < -1)
    return -EINVAL;
  if (s->sc.owner != weft__self())
    return -EPERM;
  tshared *sh = s->sh;
  weft__waitq_lock(&sh->wq);
  if (sh->expired) {
    weft__waitq_unlock(&sh->wq);
    return -EALREADY;
  }
  sh->deadline = deadline;
  sh->changed = true;
  weft__waitq_unlock(&sh->wq);
  weft__waitq_wake_one(&sh->wq, 0, NULL);
  return 0;
}

int64_t weft_timeout_when(const weft_timeout *s) {
  weft__waitq_lock(&s->sh->wq);
  int64_t dl = s->sh->deadline;
  weft__waitq_unlock(&s->sh->wq);
  return dl;
}

bool weft_timeout_expired(const weft_timeout *s) {
  weft__waitq_lock(&s->sh->wq);
  bool e = s->sh->expired;
  weft__waitq_unlock(&s->sh->wq);
  return e;
}

int weft_timeout_exit(weft_timeout *s, int body_rc) {
  if (!s)
    return -EINVAL;
  int err = scope_pop(&s->sc);
  if (err)
    return err;
  weft_task *self = s->sc.owner;
  tshared *sh = s->sh;
  uint32_t base = s->base;
  weft__free(s, sizeof *s);
  weft__waitq_lock(&sh->wq);
  sh->closed = true;
  bool expired = sh->expired;
  weft__waitq_unlock(&sh->wq);
  weft__waitq_wake_one(&sh->wq, 0, NULL);
  shared_drop(sh);
  if (!expired)
    return body_rc;
  if (weft__uncancel(self) > base)
    return body_rc;            /* another cancellation remains: it propagates */
  weft__cancel_withdraw(self); /* ours, if never delivered */
  return body_rc == -ECANCELED ? -ETIMEDOUT : body_rc;
}

int weft_wait_for(weft_task *t, int64_t ns, void **result) {
  if (!t)
    return -EINVAL;
  weft_timeout *s;
  int err = weft_timeout_enter(&s, ns < 0 ? 0 : ns);
  if (err)
    return err;
  return weft_timeout_exit(s, weft_await(t, result));
}

/* ---- shield ----------------------------------------------------------- */

int weft_shield_enter(weft_shield **out) {
  if (!out)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  if (self->shield == UINT16_MAX) /* the depth is a 16-bit field */
    return -EOVERFLOW;
  weft_shield *s = weft__calloc(sizeof *s);
  if (!s)
    return -ENOMEM;
  scope_push(&s->sc, self);
  weft__store_relaxed(&self->shield, (uint16_t)(self->shield + 1));
  *out = s;
  return 0;
}

int weft_shield_exit(weft_shield *s) {
  if (!s)
    return -EINVAL;
  int err = scope_pop(&s->sc);
  if (err)
    return err;
  weft_task *self = s->sc.owner;
  weft__store_relaxed(&self->shield, (uint16_t)(self->shield - 1));
  weft__free(s, sizeof *s);
  return 0;
}

bool weft_shielded(void) {
  weft_task *self = weft__self();
  return self && weft__load_relaxed(&self->shield) > 0;
}

int weft_await_shielded(weft_task *t, void **result) {
  if (!t)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__task_check(t, "weft_await_shielded");
  if (t == self)
    return -EDEADLK;
  for (;;) {
    if (weft__load_acquire(&t->state) & WEFT__T_DONE) {
      if (result)
        *result = t->code == 0 ? t->result : NULL;
      return t->code;
    }
    weft__waiter w;
    weft__waitq_lock(&t->awaiters);
    if (!weft__task_awaiters_mark(t)) { /* DONE; else WAITQ set */
      weft__waitq_unlock(&t->awaiters);
      continue;
    }
    weft__waitq_push_locked(&t->awaiters, &w, self);
    WEFT__WAIT_SET(self, "await shielded", WEFT__WAIT_TASK, (uintptr_t)t);
    int st = weft__waitq_wait(&t->awaiters, &w); /* no cancel forward */
    WEFT__WAIT_CLEAR(self);
    if (st == -ECANCELED)
      return st;
  }
}
