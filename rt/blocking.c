/*
 * rt/blocking.c: the blocking pool (asyncio.to_thread; DESIGN 6).
 *
 * A lane is a mutex, a FIFO of jobs and a set of detached threads:
 *  - Submit: under the lane's lock the job goes to the back of the queue;
 *    an idle thread not already told of a job is signalled (notified
 *    counts those told), else a thread handing back a result and not yet
 *    owing a job is counted on (finishing, claimed: it looks at the queue
 *    before it waits), else a new thread is made if the lane is below
 *    its cap (made with every signal blocked: signals go to the signalfd,
 *    rt/signal.c), else the job waits for a thread to come back. The
 *    signal is sent after the unlock.
 *  - A thread takes jobs from the front until the queue is empty, then
 *    waits; after the idle timeout with nothing to do it leaves.
 *  - A job has two references, the waiting task's and the thread's, and a
 *    state: QUEUED, RUNNING, DONE (under the lane's lock until DONE, which
 *    is stored under the job's wait-queue lock and read with acquire).
 *    The thread runs fn, stores the outcome, marks DONE under the job's
 *    wait queue lock and wakes the waiter (rt/waitq.h's protocol: a
 *    waiter that checked DONE before the store is linked by then and
 *    woken), without the lane's lock but counted in `waking`. Who drops
 *    the last reference frees the job; if the waiter left (cancelled),
 *    that is the thread's release callback's moment.
 *  - Cancellation of the waiter: a QUEUED job becomes CANCELLED and is
 *    skipped by the thread that pops it; a RUNNING job is abandoned
 *    (release runs after fn), or, for a shielded wait, waited for while
 *    the cancellation is put back for the next suspension point.
 *  - Spinning (rt/spin.c says when and why): a thread that has just
 *    finished a job, submitted from another CPU, spins a few microseconds
 *    before it waits on the condition variable, counted in `spinning`
 *    under the lock. A submit prefers a spinning thread not yet owed a job
 *    (spin_claimed counts those owed) to a signal; the spinner watches
 *    `queued`, and whatever it saw, it takes the lock and looks at the
 *    queue again before it waits, so a job owed to a spinner that had just
 *    given up is still taken. The lane also counts the tasks waiting on
 *    its jobs (`waiters`) and where a thread last started one (`cpu`), for
 *    the workers' own decision to spin.
 *  - Stop (shutdown step 4): the lane closes to new jobs, its threads run
 *    the queue and leave; the stopper waits for the thread count to reach
 *    zero until the deadline, then (once no thread is in a wake) marks the
 *    lane detached: the stragglers then count into the lane's own
 *    counters and never wake a task, and the last one out frees the lane.
 */
#include "rt/blocking.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/spin.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "rt/worker.h"

#define DEFAULT_CAP 512
#define DEFAULT_DNS_CAP 16
#define DEFAULT_IDLE_NS ((int64_t)10 * 1000000000)

enum { J_QUEUED, J_RUNNING, J_CANCELLED, J_DONE };

typedef struct bjob {
  struct bjob *next; /* in the queue: under the lane's lock */
  weft_blocking_fn fn;
  void *arg;
  weft_release_fn release;
  void *result;
  int code;
  uint32_t state;     /* J_*: lane lock, then atomic for J_DONE */
  uint32_t refs;      /* atomic */
  uint32_t abandoned; /* the waiter left: atomic */
  int cpu;            /* the submitter's CPU, -1 unknown (rt/spin.c) */
  weft__waitq q;
} bjob;

typedef struct weft__bpool {
  pthread_mutex_t lock;
  pthread_cond_t work; /* jobs queued, or closing */
  pthread_cond_t gone; /* a thread left */
  bjob *head, *tail;
  int threads, idle, notified, cap;
  int finishing, claimed;     /* threads handing a result back; jobs they owe */
  uint32_t waking;            /* threads waking a waiter (job_finish): atomic */
  int spinning, spin_claimed; /* threads spinning for a job; jobs they owe */
  uint32_t queued;            /* jobs in the queue: written under lock, read by
                                 spinners (atomic) */
  uint32_t waiters;           /* tasks waiting on this lane's jobs: atomic */
  int cpu;         /* where a thread last started a job, -1: atomic */
  int64_t spin_ns; /* rt/spin.c's budget, 0 off: fixed at start */
  int64_t idle_ns;
  bool closing, detached;
  weft__rt_stats *st; /* rt->xstats, or own once detached */
  weft__rt_stats own;
} weft__bpool;

static void job_unref(bjob *j) {
  if (ck_pr_faa_32(&j->refs, (uint32_t)-1) != 1)
    return;
  if (weft__load_acquire(&j->abandoned) && j->release) {
    if (weft__load_relaxed(&j->state) == J_DONE)
      j->release(j->arg, j->result, j->code);
    else /* dropped before it ran */
      j->release(j->arg, NULL, -ECANCELED);
  }
  weft__free(j, sizeof *j);
}

/* wake: the lane was not detached when this thread counted itself in
 * `waking` (under the lane's lock). A detached lane's runtime is gone, and
 * so is any task that could still be linked (a straggler's), so only a
 * counted thread wakes; the stopper does not detach while one is counted.
 * The wake is made without the lane's lock: the waker's write to the
 * worker's eventfd can hand the CPU to the woken worker at once, whose next
 * submit would then sleep on that lock (measured:
 * bench/findings-gap-thread.md). */
static void job_finish(weft__bpool *p, bjob *j, bool wake) {
  weft__waitq_lock(&j->q);
  weft__store_release(&j->state, (uint32_t)J_DONE);
  weft__waitq_unlock(&j->q);
  if (!wake)
    return;
  weft__waitq_wake_all(&j->q, 0);
  ck_pr_dec_32(&p->waking); /* a full barrier: after the wake's accesses */
}

static struct timespec abs_ts(int64_t ns) {
  return (struct timespec){.tv_sec = ns / 1000000000,
                           .tv_nsec = ns % 1000000000};
}

/* Under the lane's lock, which it drops while it spins: waits at most the
 * lane's budget for a job to be queued. Whatever it saw, the caller looks
 * at the queue again under the lock. */
static void spin_for_job(weft__bpool *p, weft__spin_backoff *bo) {
  p->spinning++;
  pthread_mutex_unlock(&p->lock);
  /* A hint: the job itself is read under the lock. */
  bool got = weft__spin_while(&p->queued, 0, p->spin_ns);
  weft__spin_after(bo, got, weft_now_ns(), p->spin_ns);
  pthread_mutex_lock(&p->lock);
  p->spinning--;
  if (p->spin_claimed > p->spinning) /* what it owed is in the queue */
    p->spin_claimed = p->spinning;
}

static void *lane_thread(void *arg) {
  weft__bpool *p = arg;
  weft__spin_backoff bo = {0};
  bool spin = false; /* the job just finished allows a spin */
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (!p->head) {
      if (p->closing)
        break;
      if (spin) {
        spin = false;
        spin_for_job(p, &bo);
        continue;
      }
      p->idle++;
      struct timespec until = abs_ts(weft_now_ns() + p->idle_ns);
      int rc = pthread_cond_timedwait(&p->work, &p->lock, &until);
      p->idle--;
      if (p->notified > 0)
        p->notified--;
      if (!p->head && rc == ETIMEDOUT)
        break;
      continue;
    }
    bjob *j = p->head;
    p->head = j->next;
    if (!p->head)
      p->tail = NULL;
    weft__store_relaxed(&p->queued, p->queued - 1); /* as in submit */
    ck_pr_dec_64(&p->st->blocking_queue_depth);
    if (weft__load_relaxed(&j->state) ==
        J_CANCELLED) { /* its waiter left before it ran */
      pthread_mutex_unlock(&p->lock);
      job_unref(j);
      pthread_mutex_lock(&p->lock);
      continue;
    }
    weft__store_relaxed(&j->state, (uint32_t)J_RUNNING);
    int from = j->cpu;
    if (p->spin_ns) /* for the workers' condition 4 (rt/spin.c); relaxed: a
                       hint, read relaxed by weft__blocking_in_flight */
      weft__store_relaxed(&p->cpu, weft__spin_cpu());
    pthread_mutex_unlock(&p->lock);
    void *result = NULL;
    int code = j->fn(j->arg, &result);
    j->result = result;
    j->code = code;
    /* Counted as finishing while it wakes the waiter: a job submitted
     * meanwhile (the waiter's next one, typically) is left for this thread
     * instead of making a new one. */
    pthread_mutex_lock(&p->lock);
    ck_pr_inc_64(&p->st->blocking_jobs);
    p->finishing++;
    bool wake = !p->detached;
    if (wake)
      ck_pr_inc_32(&p->waking);
    pthread_mutex_unlock(&p->lock);
    job_finish(p, j, wake);
    job_unref(j);
    pthread_mutex_lock(&p->lock);
    p->finishing--;
    if (p->claimed > 0)
      p->claimed--;
    /* rt/spin.c, conditions 1, 2 (spin_ns), 4 and 5. */
    spin = p->spin_ns && weft__spin_apart(from) &&
           weft__spin_may(&bo, weft_now_ns());
  }
  p->threads--;
  ck_pr_dec_64(&p->st->blocking_threads);
  bool last = p->detached && p->threads == 0;
  pthread_cond_broadcast(&p->gone);
  pthread_mutex_unlock(&p->lock);
  if (last) {
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->gone);
    pthread_mutex_destroy(&p->lock);
    weft__free(p, sizeof *p);
  }
  return NULL;
}

/* Under the lane's lock. */
static int add_thread(weft__bpool *p) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the thread */
  pthread_t th;
  int err = pthread_create(&th, &attr, lane_thread, p);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err)
    return -err;
  p->threads++;
  ck_pr_inc_64(&p->st->blocking_threads);
  return 0;
}

static int submit(weft__bpool *p, bjob *j) {
  pthread_mutex_lock(&p->lock);
  if (p->closing) {
    pthread_mutex_unlock(&p->lock);
    return -ESHUTDOWN;
  }
  j->next = NULL;
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  /* Relaxed: a hint for spinners, who take the lock to read the job. */
  weft__store_relaxed(&p->queued, p->queued + 1);
  ck_pr_inc_64(&p->st->blocking_queue_depth);
  int err = 0;
  bool signal = false;
  if (p->spinning > p->spin_claimed) {
    p->spin_claimed++; /* a spinner takes it: no signal */
  } else if (p->idle > p->notified) {
    p->notified++;
    signal = true;
  } else if (p->finishing > p->claimed) {
    p->claimed++; /* that thread takes it when it comes back */
  } else if (p->threads < p->cap) {
    err = add_thread(p);
    if (err && p->threads > 0)
      err = 0; /* a thread there will get to it */
  }
  if (err) { /* no thread at all: take the job back (it is the only one) */
    p->head = p->tail = NULL;
    weft__store_relaxed(&p->queued, p->queued - 1); /* as above */
    ck_pr_dec_64(&p->st->blocking_queue_depth);
  }
  pthread_mutex_unlock(&p->lock);
  /* After the unlock: the signalled thread's first step is to take the
   * lock, and on the same CPU it runs at once (measured:
   * bench/findings-gap-thread.md). The lane outlives this call: the stopper
   * runs after the workers, so after every submit, are joined. */
  if (signal)
    pthread_cond_signal(&p->work);
  return err;
}

static bool job_done(void *ctx) {
  return weft__load_acquire(&((bjob *)ctx)->state) == J_DONE;
}

int weft__blocking_run(int lane, weft_blocking_fn fn, void *arg, void **result,
                       weft_release_fn release, bool shield, int64_t deadline) {
  if (!fn || lane < 0 || lane >= WEFT__LANES)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__bpool *p = self->rt->lanes[lane];
  if (!p)
    return -ESHUTDOWN;
  if (weft__cancel_take(self)) {
    if (release) /* the caller counts on release for -ECANCELED */
      release(arg, NULL, -ECANCELED);
    return -ECANCELED;
  }
  bjob *j = weft__calloc(sizeof *j);
  if (!j)
    return -ENOMEM;
  j->fn = fn;
  j->arg = arg;
  j->release = release;
  weft__store_relaxed(&j->state, (uint32_t)J_QUEUED);
  j->refs = 2;
  weft__waitq_init(&j->q);
  j->cpu = p->spin_ns ? weft__spin_cpu() : -1;
  /* Counted before the submit, so that the worker sees a job in flight
   * when this task parks (rt/spin.c, condition 3). An RMW for the count's
   * sake; it orders nothing. */
  ck_pr_inc_32(&p->waiters);
  int err = submit(p, j);
  if (err) {
    ck_pr_dec_32(&p->waiters);
    weft__free(j, sizeof *j);
    return err;
  }
  WEFT__WAIT_SET(self, "to_thread", WEFT__WAIT_PLAIN, 0);
  int rc = weft__waitq_block(&j->q, job_done, j, shield ? -1 : deadline);
  /* The count only (it orders nothing); the lane outlives the runtime's
   * tasks. */
  ck_pr_dec_32(&p->waiters);
  if (rc == -ECANCELED || rc == -ETIMEDOUT) {
    pthread_mutex_lock(&p->lock);
    bool queued = weft__load_relaxed(&j->state) == J_QUEUED;
    if (queued)
      weft__store_relaxed(&j->state, (uint32_t)J_CANCELLED);
    pthread_mutex_unlock(&p->lock);
    if (queued || !shield) {
      WEFT__WAIT_CLEAR(self);
      weft__store_release(&j->abandoned, 1u);
      job_unref(j);
      return rc;
    }
    /* Shielded: fn writes into the caller's memory; wait for it and put
     * the cancellation back for the next suspension point. */
    while (weft__waitq_block(&j->q, job_done, j, -1) == -ECANCELED) {
    }
    ck_pr_or_32(&self->state, WEFT__T_CANCEL);
  }
  WEFT__WAIT_CLEAR(self);
  int code = j->code;
  if (result)
    *result = j->result;
  job_unref(j);
  return code;
}

int weft_to_thread(weft_blocking_fn fn, void *arg, void **result,
                   weft_release_fn release) {
  return weft__blocking_run(WEFT__LANE_MAIN, fn, arg, result, release, false,
                            -1);
}

static weft__bpool *lane_new(weft__rt_stats *st, int cap, int64_t idle_ns,
                             int64_t spin_ns) {
  weft__bpool *p = weft__calloc(sizeof *p);
  if (!p)
    return NULL;
  pthread_mutex_init(&p->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->work, &ca);
  pthread_cond_init(&p->gone, &ca);
  pthread_condattr_destroy(&ca);
  p->cap = cap;
  p->idle_ns = idle_ns;
  p->spin_ns = spin_ns;
  p->cpu = -1;
  p->st = st;
  return p;
}

int weft__blocking_start(weft__runtime *rt) {
  int cap =
      rt->cfg.blocking_threads > 0 ? rt->cfg.blocking_threads : DEFAULT_CAP;
  int dns = rt->cfg.dns_threads > 0 ? rt->cfg.dns_threads : DEFAULT_DNS_CAP;
  int64_t idle = rt->cfg.blocking_idle_seconds > 0
                     ? (int64_t)(rt->cfg.blocking_idle_seconds * 1e9)
                     : DEFAULT_IDLE_NS;
  rt->lanes[WEFT__LANE_MAIN] = lane_new(&rt->xstats, cap, idle, rt->spin_ns);
  /* Look-ups take milliseconds: no spin would pay. */
  rt->lanes[WEFT__LANE_DNS] = lane_new(&rt->xstats, dns, idle, 0);
  if (!rt->lanes[0] || !rt->lanes[1])
    return -ENOMEM;
  return 0;
}

void weft__blocking_stop(weft__runtime *rt, int64_t deadline) {
  for (int i = 0; i < WEFT__LANES; i++) {
    weft__bpool *p = rt->lanes[i];
    if (!p)
      continue;
    rt->lanes[i] = NULL;
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->work);
    /* The runtime's clock is CLOCK_MONOTONIC too (weft_now_ns). */
    struct timespec until = abs_ts(deadline);
    while (p->threads > 0 &&
           pthread_cond_timedwait(&p->gone, &p->lock, &until) != ETIMEDOUT) {
    }
    bool free_now = p->threads == 0;
    if (!free_now) {
      /* A thread counted in `waking` is in a wake (a few system calls, no
       * lock of the lane): let it finish before the runtime may go. None
       * can join it while the lock is held, and none can leave (and free
       * the lane) either. */
      while (weft__load_acquire(&p->waking))
        sched_yield();
      p->detached = true;
      p->own = (weft__rt_stats){0};
      p->st = &p->own; /* the runtime's counters are about to go */
    }
    pthread_mutex_unlock(&p->lock);
    if (free_now) {
      pthread_cond_destroy(&p->work);
      pthread_cond_destroy(&p->gone);
      pthread_mutex_destroy(&p->lock);
      weft__free(p, sizeof *p);
    }
  }
}

uint32_t weft__blocking_in_flight(weft__runtime *rt, int *cpu) {
  weft__bpool *p = rt->lanes[WEFT__LANE_MAIN];
  if (!p) {
    *cpu = -1;
    return 0;
  }
  /* Relaxed: hints (rt/spin.c); a wrong one costs a spin or a sleep. */
  *cpu = weft__load_relaxed(&p->cpu);
  return weft__load_relaxed(&p->waiters);
}

/* ---- the process pool's seam (rt/blocking.h) ---- */

static pthread_mutex_t procpool_lock = PTHREAD_MUTEX_INITIALIZER;

void *weft__procpool_get(void *(*create)(uint64_t *jobs, uint64_t *restarts,
                                         int workers, int *err),
                         void (*stop)(void *pool), int *err) {
  weft_task *self = weft__self();
  *err = 0;
  if (!self) {
    *err = -EPERM;
    return NULL;
  }
  weft__runtime *rt = self->rt;
  pthread_mutex_lock(&procpool_lock);
  void *p = rt->procpool;
  if (!p && weft__load_acquire(&rt->shutdown))
    *err = -ESHUTDOWN;
  else if (!p) {
    p = create(&rt->xstats.procpool_jobs, &rt->xstats.procpool_restarts,
               rt->cfg.procpool_workers, err);
    if (p) {
      rt->procpool_stop = stop;
      weft__store_release(&rt->procpool, p);
    }
  }
  pthread_mutex_unlock(&procpool_lock);
  return p;
}

void *weft__procpool_peek(int *err) {
  weft_task *self = weft__self();
  if (!self) {
    *err = -EPERM;
    return NULL;
  }
  void *p = weft__load_acquire(&self->rt->procpool);
  *err = p ? 0 : -ENOENT;
  return p;
}

void weft__procpool_stop(weft__runtime *rt) {
  pthread_mutex_lock(&procpool_lock);
  void *p = rt->procpool;
  rt->procpool = NULL;
  pthread_mutex_unlock(&procpool_lock);
  if (p)
    rt->procpool_stop(p);
}
