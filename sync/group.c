/*
 * sync/group.c: task groups (asyncio.TaskGroup, Trio's nursery).
 *
 * The group counts its live children instead of keeping them: as asyncio's
 * TaskGroup discards a task once it is done, a finished child costs the
 * group nothing, so a group can live as long as a server and take a child
 * per connection. Only the handles a caller asked for (out != NULL) are
 * kept, until weft_group_free.
 *
 * The count, live, starts at 1: the owner's own share, dropped when it
 * enters the wait of weft_group_exit. A spawn adds one before the child
 * exists; each child's finish hook (weft__spawn_hooked, run when the child
 * is DONE, also for a child cancelled before it ran) takes one off. So
 * live reaches zero exactly once, when the owner is in the exit and no
 * child is left, and whoever takes it there is the last to touch the
 * group: a child's hook marks the group drained and wakes the owner under
 * the group's lock, and the owner reads "drained" under that lock, so the
 * hook has left the group before the owner can free it.
 *
 * A child that fails (a negative code other than -ECANCELED) records its
 * code under the lock and, if it is the first, aborts the group: every
 * child still alive is cancelled (found by a walk of the task registry:
 * the children's hook context is the group; the walk visits every live task
 * of the runtime under all the registry's locks, a cost paid only when a
 * group aborts) and then the owner, unless it has reached weft_group_exit
 * (asyncio's _parent_cancel_requested): under the lock, so that an exit
 * that began meanwhile, and withdrew the request, is not cancelled after. The
 * exit withdraws that cancellation of the owner (weft__uncancel; if no
 * other request remains, an undelivered one is cleared and a -ECANCELED
 * body outcome is not propagated). If the owner is cancelled while it
 * waits, it aborts the group and goes on waiting, and reports -ECANCELED
 * at the end unless a child failed.
 *
 * A spawn racing an abort: the abort sets "aborting" and then walks the
 * registry under its locks; a spawn registers its child under one of those
 * locks and then reads "aborting". Either the walk finds the child or the
 * spawner sees the flag and cancels the child itself.
 *
 * asyncio order: asyncio resumes the owner two loop hops after the last
 * child finished (the child's done-callback sets the group's future, whose
 * callback wakes the owner). The hook wakes the owner at the first hop's
 * place and the owner takes one more hop. With no child left at the exit,
 * asyncio does not suspend, and neither does the exit, unless a child
 * finished in the current batch: asyncio discards a task only in its
 * done-callback, one hop later, so the exit still waits the two hops then.
 *
 * Only the owner, before its exit is over, or a running child may spawn:
 * a spawn that finds live at zero (the exit is over) gets -EPIPE.
 */
#include "sync/sync.h"

#include <string.h>

struct weft_group {
  weft__spinlock lk;
  weft_task *owner; /* a reference held until weft_group_free */
  struct weft__runtime *rt;
  uint64_t live;      /* children alive, plus 1 until the owner waits: atomic */
  weft__waitq idle;   /* the owner in weft_group_exit (list under lk) */
  weft_task **held;   /* handles given out, under lk */
  size_t nheld, hcap; /* under lk */
  size_t reserved;    /* slots of held kept for spawns in progress */
  int *fails;         /* under lk */
  size_t nfails, fcap; /* under lk */
  size_t nfails_total; /* under lk */
  uint32_t aborting;   /* atomic (set under lk) */
  /* asyncio order: the batch in which a child last finished: atomic */
  uint64_t last_done_batch;
  bool exiting; /* under lk */
  bool exited;  /* written under lk, read by spawns: atomic */
  bool drained; /* live reached zero: under lk */
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
  weft__task_ref(self); /* a hook may cancel it even if it leaves early */
  g->owner = self;
  g->rt = self->rt;
  g->live = 1;
  weft__waitq_init(&g->idle);
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

/* Marks the group aborting (under lk). Returns true if it was not already:
 * the caller then cancels the children with cancel_children, after
 * unlocking (the walk takes the registry's locks). */
static bool start_abort_locked(weft_group *g) {
  if (weft__load_relaxed(&g->aborting))
    return false;
  /* Ordered before the walk by the walk's locks: pairs with the spawner's
   * read of the flag after it registered its child (see the top). */
  weft__exchange(&g->aborting, 1u);
  return true;
}

static void cancel_children(weft_group *g) { weft__cancel_hooked(g->rt, g); }

/* Takes one off live; the one that takes it to zero wakes the owner. */
static void release(weft_group *g) {
  if (ck_pr_faa_64(&g->live, (uint64_t)-1) != 1)
    return;
  weft__spin_lock(&g->lk);
  g->drained = true;
  weft__waitq_wake_one_locked(&g->idle, 0, NULL);
  weft__spin_unlock(&g->lk);
}

/* A child's finish hook, on the worker that completes it. */
static void child_done(void *ctx, int code) {
  weft_group *g = ctx;
  if (code < 0 && code != -ECANCELED) {
    weft__spin_lock(&g->lk);
    record_failure_locked(g, code);
    bool abort = start_abort_locked(g);
    weft__spin_unlock(&g->lk);
    if (abort) {
      cancel_children(g);
      /* The owner last, and under the lock: an exit that has begun
       * meanwhile (it withdraws our request under the lock) is not
       * cancelled after its withdrawal. */
      weft__spin_lock(&g->lk);
      if (!g->exiting && !g->parent_cancel_requested) {
        g->parent_cancel_requested = true;
        weft_cancel(g->owner);
      }
      weft__spin_unlock(&g->lk);
    }
  }
  weft__store_relaxed(&g->last_done_batch, weft__asyncio_batch());
  release(g);
}

/* Keeps a slot of held for a spawn that gives its handle out. */
static int reserve_held_locked(weft_group *g) {
  if (g->nheld + g->reserved == g->hcap) {
    size_t ncap = g->hcap ? g->hcap * 2 : 8;
    weft_task **nh = weft__realloc(g->held, g->hcap * sizeof(weft_task *),
                                   ncap * sizeof(weft_task *));
    if (!nh)
      return -ENOMEM;
    g->held = nh;
    g->hcap = ncap;
  }
  g->reserved++;
  return 0;
}

/* One more child, unless live has reached zero (the exit is over). */
static bool add_live(weft_group *g) {
  uint64_t n = weft__load_relaxed(&g->live);
  do {
    if (n == 0)
      return false;
  } while (!ck_pr_cas_64_value(&g->live, n, n + 1, &n));
  return true;
}

int weft_group_spawn_at(weft_group *g, weft_task **out, weft_fn fn, void *arg,
                        const weft_spawn_opts *opts, const char *file,
                        int line) {
  if (!g || !fn)
    return -EINVAL;
  int err = 0;
  bool reserved = false;
  if (out) {
    weft__spin_lock(&g->lk);
    if (g->exited || weft__load_relaxed(&g->aborting))
      err = -EPIPE;
    else
      reserved = (err = reserve_held_locked(g)) == 0;
    weft__spin_unlock(&g->lk);
  } else if (weft__load_relaxed(&g->exited) ||
             weft__load_relaxed(&g->aborting)) {
    err = -EPIPE;
  }
  /* The spawner is the owner before its exit, or a running child, so live
   * is not zero; a spawn from anywhere else may find it so (misuse). */
  if (!err && !add_live(g))
    err = -EPIPE;
  weft_task *t = NULL;
  if (!err) {
    /* An eager child runs inside this call, and its hook may run too. */
    err = weft__spawn_hooked(&t, fn, arg, opts, file, line, child_done, g);
    if (err)
      release(g); /* cannot reach zero: our own share is there */
    else if (weft__load_acquire(&g->aborting))
      weft_cancel(t); /* an abort raced this spawn; t is ours until below */
  }
  if (reserved) {
    weft__spin_lock(&g->lk);
    g->reserved--;
    if (!err)
      g->held[g->nheld++] = t;
    weft__spin_unlock(&g->lk);
  }
  if (!err) {
    if (out)
      *out = t;
    else
      weft_detach(t);
  }
  return err;
}

/* Waits for live to reach zero. Returns true if the owner was cancelled
 * meanwhile (the group was aborted then, and the wait went on). */
static bool wait_drained(weft_group *g, weft_task *self, bool *suspended) {
  bool cancelled = false;
  if (ck_pr_faa_64(&g->live, (uint64_t)-1) == 1)
    return false; /* no child left: nobody else touches g */
  weft__spin_lock(&g->lk);
  while (!g->drained) {
    int st = weft__sync_wait(&g->idle, &g->lk, self, "group exit");
    *suspended = true;
    if (st == -ECANCELED) {
      cancelled = true;
      weft__spin_lock(&g->lk);
      bool abort = start_abort_locked(g);
      weft__spin_unlock(&g->lk);
      if (abort)
        cancel_children(g);
    }
    weft__spin_lock(&g->lk);
  }
  weft__spin_unlock(&g->lk);
  return cancelled;
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
  bool abort = body_rc < 0 && start_abort_locked(g);
  weft__spin_unlock(&g->lk);
  if (abort)
    cancel_children(g);

  bool suspended = false;
  if (wait_drained(g, self, &suspended))
    propagate = true;
  if (suspended) {
    weft__asyncio_hop();
  } else if (weft__asyncio_batch() != 0 &&
             weft__load_relaxed(&g->last_done_batch) == weft__asyncio_batch()) {
    /* asyncio has not yet run the done-callback of a child that finished
     * in this batch: the task is still in the group, and the exit waits
     * the two hops (the callback, then the future's). */
    weft__asyncio_hop();
    weft__asyncio_hop();
  }

  weft__spin_lock(&g->lk);
  weft__store_relaxed(&g->exited, true); /* no child is left to spawn */
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
  for (size_t i = 0; i < g->nheld; i++)
    weft_detach(g->held[i]);
  weft__free(g->held, g->hcap * sizeof(weft_task *));
  weft__free(g->fails, g->fcap * sizeof(int));
  weft__task_unref(g->owner);
  weft__free(g, sizeof *g);
  return 0;
}
