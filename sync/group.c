/*
 * sync/group.c: task groups (asyncio.TaskGroup, Trio's nursery).
 *
 * Each child runs a wrapper around its function. A child that fails (a
 * negative code other than -ECANCELED) records its code under the group's
 * lock and, if it is the first, aborts the group: every child is cancelled,
 * and so is the owner unless it has reached weft_group_exit (asyncio's
 * _parent_cancel_requested). The exit withdraws that cancellation of the
 * owner (weft__uncancel; if no other request remains, an undelivered one is
 * cleared and a -ECANCELED body outcome is not propagated), then waits for
 * the children with weft_gather over a snapshot of the handles, until no
 * new child appeared meanwhile. If the owner is cancelled while it waits,
 * weft_gather has cancelled the children; the exit goes on waiting and
 * reports -ECANCELED at the end, unless a child failed. Child records and
 * handles are freed by weft_group_free, so a child cancelled before it ever
 * ran (its wrapper never runs) leaks nothing.
 */
#include "sync/sync.h"

#include <string.h>

typedef struct child {
  weft_group *g;
  weft_fn fn;
  void *arg;
  weft_task *task;
} child;

struct weft_group {
  weft__spinlock lk;
  weft_task *owner;
  child **kids; /* under lk */
  size_t n, cap;
  size_t reserved; /* slots kept for spawns in progress */
  int *fails;      /* under lk */
  size_t nfails, fcap;
  size_t nfails_total;
  bool aborting, exiting, exited;
  bool parent_cancel_requested;
};

int weft_group_new(weft_group **out) {
  if (!out)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft_group *g = weft__calloc(sizeof *g);
  if (!g)
    return -ENOMEM;
  g->owner = self;
  *out = g;
  return 0;
}

static void record_failure_locked(weft_group *g, int code) {
  g->nfails_total++;
  if (g->nfails == g->fcap) {
    size_t ncap = g->fcap ? g->fcap * 2 : 4;
    int *nf =
        weft__realloc(g->fails, g->fcap * sizeof(int), ncap * sizeof(int));
    if (!nf)
      return; /* counted, not listed */
    g->fails = nf;
    g->fcap = ncap;
  }
  g->fails[g->nfails++] = code;
}

static void abort_locked(weft_group *g, weft_task *except) {
  g->aborting = true;
  for (size_t i = 0; i < g->n; i++)
    if (g->kids[i]->task != except)
      weft_cancel(g->kids[i]->task);
}

static int group_child(void *arg, void **result) {
  child *c = arg;
  int rc = c->fn(c->arg, result);
  weft_group *g = c->g;
  if (rc < 0 && rc != -ECANCELED) {
    weft__spin_lock(&g->lk);
    record_failure_locked(g, rc);
    if (!g->aborting) {
      abort_locked(g, c->task);
      if (!g->exiting && !g->parent_cancel_requested) {
        g->parent_cancel_requested = true;
        weft_cancel(g->owner);
      }
    }
    weft__spin_unlock(&g->lk);
  }
  return rc;
}

int weft_group_spawn_at(weft_group *g, weft_task **out, weft_fn fn, void *arg,
                        const weft_spawn_opts *opts, const char *file,
                        int line) {
  if (!g || !fn)
    return -EINVAL;
  child *c = weft__calloc(sizeof *c);
  if (!c)
    return -ENOMEM;
  c->g = g;
  c->fn = fn;
  c->arg = arg;
  /* Reserve a slot, spawn outside the lock (an eager child runs inside the
   * spawn, and takes the lock if it fails), then fill the slot. The exit
   * cannot miss the child: the spawner is the owner (not yet in the exit)
   * or a child still running, which the exit is waiting for. */
  weft__spin_lock(&g->lk);
  int err = 0;
  if (g->exited || g->aborting)
    err = -EPIPE;
  else if (g->n + g->reserved == g->cap) {
    size_t ncap = g->cap ? g->cap * 2 : 8;
    child **nk = weft__realloc(g->kids, g->cap * sizeof(child *),
                               ncap * sizeof(child *));
    if (!nk)
      err = -ENOMEM;
    else {
      g->kids = nk;
      g->cap = ncap;
    }
  }
  bool slot = !err;
  if (slot)
    g->reserved++;
  weft__spin_unlock(&g->lk);
  weft_task *t = NULL;
  if (slot)
    err = weft_spawn_at(&t, group_child, c, opts, file, line);
  weft__spin_lock(&g->lk);
  if (slot)
    g->reserved--;
  if (!err) {
    c->task = t;
    g->kids[g->n++] = c;
    if (g->aborting) /* a failure while we spawned: this one goes too */
      weft_cancel(t);
    if (out)
      *out = t;
  }
  weft__spin_unlock(&g->lk);
  if (err)
    weft__free(c, sizeof *c);
  return err;
}

int weft_group_exit(weft_group *g, int body_rc) {
  if (!g)
    return -EINVAL;
  weft_task *self = weft__self();
  if (self != g->owner)
    return -EPERM;
  weft__spin_lock(&g->lk);
  if (g->exiting) {
    weft__spin_unlock(&g->lk);
    return -EPIPE;
  }
  g->exiting = true;
  bool propagate = false;
  if (g->parent_cancel_requested) {
    /* Our own cancellation of the owner: withdraw it. */
    if (weft__uncancel(self) == 0)
      weft__cancel_withdraw(self);
    else if (body_rc == -ECANCELED)
      propagate = true;
  } else if (body_rc == -ECANCELED) {
    propagate = true;
  }
  if (body_rc < 0 && !g->aborting)
    abort_locked(g, NULL);
  weft__spin_unlock(&g->lk);

  weft_task **snap = NULL;
  size_t snap_cap = 0;
  size_t done = 0;
  int err = 0;
  for (;;) {
    weft__spin_lock(&g->lk);
    size_t n = g->n;
    if (n == done) {
      g->exited = true; /* no child left running can spawn any more */
      weft__spin_unlock(&g->lk);
      break;
    }
    if (n > snap_cap) {
      weft_task **ns = weft__realloc(snap, snap_cap * sizeof(weft_task *),
                                     g->cap * sizeof(weft_task *));
      if (!ns) {
        weft__spin_unlock(&g->lk);
        err = -ENOMEM;
        break;
      }
      snap = ns;
      snap_cap = g->cap;
    }
    for (size_t i = 0; i < n; i++)
      snap[i] = g->kids[i]->task;
    weft__spin_unlock(&g->lk);
    int rc = weft_gather(snap, n, NULL, NULL, WEFT_GATHER_ALL);
    if (rc == -ECANCELED) {
      /* The owner was cancelled: gather cancelled the children. */
      weft__spin_lock(&g->lk);
      g->aborting = true;
      weft__spin_unlock(&g->lk);
      propagate = true;
      continue;
    }
    done = n;
  }
  weft__free(snap, snap_cap * sizeof(weft_task *));
  if (err) {
    /* Out of memory with children still running: wait for each one. */
    for (size_t i = 0;; i++) {
      weft__spin_lock(&g->lk);
      weft_task *t = i < g->n ? g->kids[i]->task : NULL;
      if (!t)
        g->exited = true;
      weft__spin_unlock(&g->lk);
      if (!t)
        break;
      while (weft_await(t, NULL) == -ECANCELED &&
             weft_task_state_of(t) == WEFT_TASK_PENDING)
        ;
    }
  }
  weft__spin_lock(&g->lk);
  if (body_rc < 0 && body_rc != -ECANCELED)
    record_failure_locked(g, body_rc);
  int rc = g->nfails ? g->fails[0] : (propagate ? -ECANCELED : 0);
  weft__spin_unlock(&g->lk);
  return rc;
}

size_t weft_group_failures(const weft_group *g, int *codes, size_t cap) {
  weft__spin_lock((weft__spinlock *)&g->lk);
  for (size_t i = 0; i < g->nfails && i < cap; i++)
    codes[i] = g->fails[i];
  size_t n = g->nfails_total;
  weft__spin_unlock((weft__spinlock *)&g->lk);
  return n;
}

int weft_group_free(weft_group *g) {
  if (!g)
    return 0;
  weft__spin_lock(&g->lk);
  bool open = !g->exited;
  weft__spin_unlock(&g->lk);
  if (open)
    return -EBUSY;
  for (size_t i = 0; i < g->n; i++) {
    weft_detach(g->kids[i]->task);
    weft__free(g->kids[i], sizeof(child));
  }
  weft__free(g->kids, g->cap * sizeof(child *));
  weft__free(g->fails, g->fcap * sizeof(int));
  weft__free(g, sizeof *g);
  return 0;
}
