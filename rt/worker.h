/*
 * rt/worker.h: a worker (one event loop on one thread) and the runtime that
 * owns the workers. Fields name who may touch them.
 */
#ifndef WEFT_RT_WORKER_H
#define WEFT_RT_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt/atomic.h"
#include "rt/common.h" /* WEFT_ASAN, WEFT_TSAN: decide the layout */
#include "rt/ctx.h"
#include "rt/driver.h"
#include "rt/idle.h"
#include "rt/inject.h"
#include "rt/ring.h"
#include "rt/runq.h"
#include "rt/spin.h"
#include "rt/stack.h"
#include "rt/task.h"
#include "rt/timer.h"
#include "weft/rt.h"

/* Why the current task switched out to its worker. */
enum {
  WEFT__I_YIELD = 1, /* to the back of the queue, after the switch */
  WEFT__I_YIELDED,   /* a yield already queued (asyncio order, rt/run.c) */
  WEFT__I_PARK,      /* wait for a wake */
  WEFT__I_EXIT,      /* finished; its stack is given back after the switch */
  WEFT__I_EAGER,     /* start w->eager at once, then resume */
};

/* Counters: written by their worker only, read by anyone (tests, the
 * monitor, stats reports) with weft__load_relaxed. An atomic store of the
 * sum, not an RMW: free on x86-64, and no data race for TSan. */
#define WEFT__STAT_ADD(w, field, n)                                            \
  weft__store_relaxed(&(w)->stats.field, (w)->stats.field + (uint64_t)(n))

/* The public view is weft_worker_stats (include/weft/stats.h, rt/stats.c):
 * tasks_run here is its `switches`, tasks_started its `tasks_run`. The
 * reactor's events are counted in io_events by weft__worker_poll. */
typedef struct weft__worker_stats {
  uint64_t tasks_run;     /* switches into tasks */
  uint64_t tasks_started; /* tasks that began running here */
  uint64_t polls;         /* driver polls */
  uint64_t timers_fired;
  uint64_t inject_pops;
  uint64_t steals_tried; /* victims tried */
  uint64_t steals_won;   /* steals that brought back tasks */
  uint64_t parks;        /* sleeps in the driver */
  uint64_t unparks;      /* other workers this one woke */
  uint64_t overflows;    /* ring overflows to the inject queue */
  uint64_t tasks_stolen; /* tasks brought back by those steals */
  uint64_t io_events;    /* I/O readiness events delivered (io/) */
  uint64_t yields_moved; /* kept yields later moved to the ring */
  uint64_t spins;        /* parks that began with a spin (rt/spin.c) */
  uint64_t spins_woken;  /* of those, spins a wake ended (no sleep) */
} weft__worker_stats;

/* Runtime-wide counters of the executors (the blocking pool, the process
 * pool), kept by those subsystems with atomic stores or read-modify-writes
 * and read by anyone (weft_stats_get). Zero until they exist. */
typedef struct weft__rt_stats {
  uint64_t blocking_threads;     /* threads in the blocking pool now */
  uint64_t blocking_queue_depth; /* jobs waiting for a blocking thread */
  uint64_t blocking_jobs;        /* jobs run by the blocking pool */
  uint64_t procpool_jobs;        /* jobs run by the process pool */
  uint64_t procpool_restarts;    /* process-pool children restarted */
} weft__rt_stats;

struct weft__trace_buf;

typedef struct weft__worker {
  struct weft__runtime *rt;
  int index;
  weft__ctx sched;        /* the worker loop's own context (owner only) */
  weft_task *current;     /* the task running now (owner writes, atomic;
                             read by the task dump) */
  int intent;             /* set by the task just before it switches out */
  weft_task *eager;       /* with WEFT__I_EAGER: the task to start at once */
  int eager_depth;        /* eager spawns in progress: no direct switches */
  weft_task *prev;        /* switched out directly; finished by the next task */
  weft__stack dead_stack; /* an exited task's stack, given back next */
#if defined(WEFT_TSAN)
  weft__ctx dead_ctx; /* where an exiting task's registers go (rt/run.c) */
  void *dead_fiber;
  /* Fibers of exited tasks, kept for the next tasks to start here (rt/run.c:
   * TSan clears most of a megabyte to create one). Owner only. */
  void *fiber_cache[64];
  int fibers_cached;
#endif
  int prev_intent;
  size_t batch_left;  /* tasks left in the current batch (owner only) */
  uint64_t batch_seq; /* batches begun, asyncio order (owner only) */
  uint64_t finished;  /* tasks finished here, for finish_seq (owner) */
  /* Observation hooks on (rt/debug.h): debug mode, a trace, or the task
   * dump's worker column. The hooks at each switch test this one flag. */
  bool debug;
  bool trace;            /* recording a trace (rt/trace.h) */
  int64_t slice_start;   /* when the current task was switched in: owner
                            writes, the monitor reads (atomic) */
  weft_task *slice_task; /* that task, NULL between slices: atomic */
  uint64_t slice_seq;    /* bumped at each slice start and end: atomic */
  /* A direct switch starts the next slice before the previous task's is
   * ended (rt/run.c, step 2): that one's start is kept here (owner). */
  const weft_task *prev_slice_task;
  int64_t prev_slice_start, prev_slice_end;
  struct weft__trace_buf *trace_buf; /* owner writes; read after join */
  weft__runq runq; /* ready tasks, asyncio order (owner only) */
  /* The work-stealing side (rt/multi.c), with more than one worker: */
  weft__ring ring;      /* ready tasks: owner pushes and pops, others steal */
  weft_task *lifo;      /* the task woken last: atomic (stealable) */
  uint32_t lifo_streak; /* LIFO runs in a row (owner) */
  uint32_t parked;     /* sleeping in the driver: owner writes, monitor reads */
  uint64_t tick;       /* tasks taken (owner; read by the monitor) */
  uint32_t maint_left; /* ticks until the next maintenance tick (owner) */
  uint32_t maint_every; /* the maintenance interval in ticks (owner) */
  int64_t maint_ns;     /* when the last maintenance ran, 0: unknown (owner) */
  uint32_t rand;        /* WEFT_SCHED_RANDOM's generator (owner) */
  bool searching;       /* counted as searching in rt->idle (owner) */
  weft__spin_backoff spin; /* the spin before a park (owner) */
  int *victims;            /* steal order, nearest first (owner) */
  weft_task **overflow;    /* room for half a ring: overflow (owner) */
  weft_task **grab;        /* room for half a ring: inject takes (owner) */
  weft__runq pinned;       /* ready pinned tasks, never stolen (owner) */
  /* Tasks that yielded while every worker was busy: private, so taking one
   * needs no atomic; moved to the ring at maintenance when another worker
   * is idle or other work waits (rt/multi.c, "yields"). Owner only. */
  weft__runq yielded;
  bool keep_yields; /* every worker was busy at the last maintenance */
  uint32_t fresh;   /* pushes of new work since the last maintenance */
  /* Set by a maintenance that kept the yields with nothing else queued
   * here; cleared by any push of work here but a kept yield. While set,
   * the next task is the list's head (weft__multi_next_fast). Owner. */
  bool only_yields;
  weft__inject inbox; /* pinned tasks woken by other threads */
  weft__timers timers;
  weft__driver *driver;
  weft__stack_cache stacks;
  weft_task *task_pool; /* free task objects, linked by next (owner) */
  uint32_t task_pool_len;
  weft__worker_stats stats; /* owner writes; read after join */
  pthread_t thread;
#if defined(WEFT_TEST_ORDER) /* rt/order_test.c */
  int order_mode;
  unsigned order_seed;
  weft_task *order_slot;
#endif
#if defined(WEFT_ASAN)
  const void *sched_stack_lo; /* the thread's stack, for ASan's fiber calls */
  size_t sched_stack_size;
  void *asan_fake_stack;
#endif
#if defined(WEFT_TSAN)
  void *tsan_fiber;
#endif
  /* Workers sit side by side in one array, and each writes its own fields
   * all the time: two lines of padding keep the end of one (its counters)
   * off the lines of the next one's start (its current task, its intent). */
  char pad[2 * WEFT_CACHELINE];
} weft__worker;

struct weft__topo;

/* One shard of the task registry: its own cache line, so that workers
 * registering tasks in their own shards do not share one. */
typedef struct weft__registry_shard {
  weft__spinlock lock; /* guards the list and the count */
  weft_task *head;     /* live tasks in spawn order, linked by */
  weft_task *tail;     /* reg_prev/next */
  uint64_t count;      /* under lock, read atomic */
  char pad[WEFT_CACHELINE - sizeof(weft__spinlock) - 2 * sizeof(weft_task *) -
           sizeof(uint64_t)];
} weft__registry_shard;

typedef struct weft__runtime {
  weft_config cfg;
  struct weft__topo *topo; /* NULL if hwloc could not load it */
  bool pin;                /* workers are pinned to PUs */
  size_t stack_size;       /* default usable stack size: a class size */
  bool asyncio_order;      /* one worker: asyncio's batches and hops */
  int nworkers;
  weft__worker *workers;
  weft__stack_pool stacks;
  weft__inject inject;
  /* The registry of live tasks, in shards (rt/worker.c): one per worker
   * and one for other threads, nshards in all; one in asyncio order. */
  weft__registry_shard *shards;
  int nshards;
  uint32_t shutdown;       /* 0 running, 1 shutting down: atomic */
  uint32_t stop;           /* workers leave their loops: atomic */
  uint32_t stop_requested; /* weft_runtime_free was called: atomic */
  int started;             /* worker threads started */
  uint32_t reported;       /* stragglers reported: atomic */
  int64_t grace_deadline;  /* set when shutdown starts: atomic */
  weft__idle idle;         /* searching and parked workers (multi) */
  int64_t spin_ns;   /* the spin before a park, 0 off (rt/spin.c): fixed */
  pthread_t monitor; /* rt/monitor.c, with more than one worker */
  bool monitor_started;
  uint32_t monitor_stop;    /* atomic */
  uint64_t monitor_rescues; /* stuck workers helped: monitor writes */
  uint64_t monitor_timers;  /* timers it fired for them: monitor writes */
  weft__rt_stats xstats;    /* the executors' counters: atomic */
  struct weft__obs *obs;    /* stats printing, trace, inspector (rt/obs.c) */
  void *debug_handles;      /* debug mode's handle list (rt/debug.c) */
  bool main_seen;           /* the main task was seen finished (worker) */
  weft_task *main;
  /* Executors (rt/blocking.c, rt/signal.c): */
  struct weft__bpool *lanes[2];      /* the blocking pool's lanes */
  struct weft__signals *signals;     /* the signalfd and its thread, or NULL */
  uint32_t sigint_stop;              /* a SIGINT started the shutdown: atomic */
  void *procpool;                    /* io/procpool.c's pool (rt/blocking.h) */
  void (*procpool_stop)(void *pool); /* shutdown step 5 */
} weft__runtime;

/* From a task: switch to the worker with the given intent (not
 * WEFT__I_EXIT: a task exits by returning from its entry, rt/run.c).
 * Returns when the task is resumed. May switch. */
void weft__switch_out(int intent);
/* The same, for a caller that has just looked up its worker (w is the
 * calling thread's: only valid until the switch). */
void weft__switch_out_from(weft__worker *w, int intent);
#if defined(WEFT_TSAN)
/* Fills w's cache of TSan fibers (its thread, before any task runs) and
 * destroys what it holds (runtime end): rt/run.c. */
void weft__fiber_cache_warm(weft__worker *w);
void weft__fiber_cache_flush(weft__worker *w);
#endif

/* Queues a runnable task: on the current worker's queue when called from a
 * worker of its runtime, else on the inject queue (and wakes a worker).
 * The task's state must already say SCHEDULED. Any thread. _woken is for a
 * wake (it may take the LIFO slot); plain for a new task. */
void weft__sched_push(weft_task *t);
void weft__sched_push_woken(weft_task *t);
/* The same, for a caller that has looked up its worker: w is the calling
 * thread's (weft__worker_current), or NULL off the workers. Inline for the
 * asyncio-order queue, which every spawn and wake on the one worker takes;
 * the rest is weft__sched_push_slow. */
void weft__sched_push_slow(weft__worker *w, weft_task *t, bool woken);
static inline void weft__sched_push_on(weft__worker *w, weft_task *t,
                                       bool woken) {
#if !defined(WEFT_TEST_ORDER) /* its LIFO mode may take the task */
  if (WEFT_LIKELY(w && w->rt == t->rt && w->rt->asyncio_order)) {
    weft__runq_push(&w->runq, t);
    return;
  }
#endif
  weft__sched_push_slow(w, t, woken);
}

/* Polls w's reactor (rt/driver.h) and counts it: polls, I/O events, and a
 * trace event when any arrived. Returns what weft__driver_poll returns.
 * Owner worker only. */
int weft__worker_poll(weft__worker *w, int64_t timeout_ns);

/* rt/multi.c: the work-stealing loop and its pieces. */
void weft__multi_push(weft__worker *w, weft_task *t, bool woken);
void weft__multi_requeue(weft__worker *w, weft_task *t);

/* Puts a task that switched out back in its worker's queue (a yield, or a
 * park cut short by a wake). Owner worker only. Inline, since every yield
 * takes it: the asyncio-order queue, or the local ring when the task is not
 * pinned and the ring has room; the rest in rt/multi.c. */
static inline void weft__worker_requeue(weft__worker *w, weft_task *t) {
  if (w->rt->asyncio_order) {
    weft__runq_push(&w->runq, t);
    return;
  }
  w->only_yields = false;
  if (WEFT_UNLIKELY(t->home >= 0) || !weft__ring_push(&w->ring, t))
    weft__multi_requeue(w, t);
}
void weft__multi_notify(weft__runtime *rt);
void weft__multi_wake_all(weft__runtime *rt);
void weft__multi_loop(weft__worker *w);
weft_task *weft__multi_next(weft__worker *w);
/* The same, inline for the common case of a busy runtime's yield: only
 * kept yields wait here (w->only_yields), so the next is the list's head;
 * tasks pushed to the inbox by other threads still go first. */
static inline weft_task *weft__multi_next_fast(weft__worker *w) {
  if (w->only_yields && w->maint_left != 1 && !weft__inject_len(&w->inbox)) {
    weft_task *t = weft__runq_pop(&w->yielded);
    if (WEFT_LIKELY(t != NULL)) {
      /* An atomic store: the monitor samples the tick (rt/monitor.c). */
      weft__store_relaxed(&w->tick, w->tick + 1);
      w->maint_left--;
      return t;
    }
  }
  return weft__multi_next(w);
}
/* For a yield of w's running task (rt/run.c): true, and the tick counted,
 * when nothing else waits on this worker or in the inject queue and no
 * maintenance is due, so the task goes on without a switch. */
bool weft__multi_yield_alone(weft__worker *w);

/* Shared by both loops (rt/worker.c). */
void weft__worker_thread_begin(weft__worker *w);
/* Fires w's expired timers, at most max of them (the rest stay expired in
 * the heap for a later call); their tasks go to the back of the ready
 * queue. Owner worker only. */
void weft__worker_fire_timers_at(weft__worker *w, int64_t now, size_t max);
/* All of them, now. Inline, since every batch boundary asks and almost
 * always no timer is armed: one load. */
static inline void weft__worker_fire_timers(weft__worker *w) {
  if (!weft__timers_empty(&w->timers))
    weft__worker_fire_timers_at(w, weft_now_ns(), SIZE_MAX);
}
void weft__cancel_all(weft__runtime *rt);
/* Shutdown's trigger: the main task finished, or a stop was requested.
 * Inline: every batch boundary asks (rt/worker.c, step 5). Acquire loads:
 * pair with the release store of the request (weft_runtime_free) and the
 * CAS that set the main task's DONE (rt/run.c, complete_task). */
static inline bool weft__shutdown_wanted(weft__runtime *rt) {
  if (weft__load_acquire(&rt->stop_requested))
    return true;
  return rt->main && (weft__load_acquire(&rt->main->state) & WEFT__T_DONE);
}
void weft__report_stragglers(weft__runtime *rt);

/* The batch boundary run from a task (rt/run.c): if the loop is not needed
 * (something is ready, no shutdown under way, asyncio order), polls I/O if
 * there are sources, drains the inject queue, fires timers, starts the next
 * batch (w->batch_left) and returns true. Owner worker only. */
bool weft__worker_boundary(weft__worker *w);

/* Runs t (and, through direct switches, maybe more tasks of the batch)
 * until a task switches back to the loop; finishes that task's switch.
 * Worker loop only. */
void weft__run_task(weft__worker *w, weft_task *t);

/* Runs the worker loop on the calling thread until the runtime has shut
 * down. */
void weft__worker_loop(weft__worker *w);

/* The registry of live tasks (for shutdown, the task dump and stats), in
 * shards so that spawning and finishing on different workers take
 * different locks: a task is added to the shard of the worker that spawns
 * it (the last shard off the workers; the only one in asyncio order) and
 * removed from that shard wherever it finishes. Each shard keeps spawn
 * order, so shutdown cancels the oldest first within a shard.
 * weft__registry_init returns 0 or -ENOMEM. */
int weft__registry_init(weft__runtime *rt);
void weft__registry_fini(weft__runtime *rt);
/* Add and remove, inline: every spawn and every finish takes them. w is
 * the calling thread's worker (weft__worker_current), or NULL. */
static inline void weft__registry_add(weft__runtime *rt, weft__worker *w,
                                      weft_task *t) {
  uint32_t i = 0;
  if (!rt->asyncio_order)
    i = (uint32_t)(w && w->rt == rt ? w->index : rt->nworkers);
  weft__registry_shard *sh = &rt->shards[i];
  t->reg_shard = (uint16_t)i; /* i <= nworkers: rt/task.h */
  weft__spin_lock(&sh->lock);
  t->reg_next = NULL;
  t->reg_prev = sh->tail;
  if (sh->tail)
    sh->tail->reg_next = t;
  else
    sh->head = t;
  sh->tail = t;
  weft__store_relaxed(&sh->count, sh->count + 1);
  weft__spin_unlock(&sh->lock);
}

static inline void weft__registry_remove(weft__runtime *rt, weft_task *t) {
  weft__registry_shard *sh = &rt->shards[t->reg_shard];
  weft__spin_lock(&sh->lock);
  if (t->reg_prev)
    t->reg_prev->reg_next = t->reg_next;
  else
    sh->head = t->reg_next;
  if (t->reg_next)
    t->reg_next->reg_prev = t->reg_prev;
  else
    sh->tail = t->reg_prev;
  /* Release: a reader that sees the count drop (shutdown waiting for zero)
   * sees the task's last writes. */
  weft__store_release(&sh->count, sh->count - 1);
  weft__spin_unlock(&sh->lock);
}

/* Live tasks in all shards: a sum of atomic loads, exact when nothing
 * spawns or finishes meanwhile. */
uint64_t weft__registry_count(const weft__runtime *rt);
/* Takes / releases every shard's lock (in shard order): a walk of the
 * registry must hold them. */
void weft__registry_lock_all(weft__runtime *rt);
void weft__registry_unlock_all(weft__runtime *rt);
/* The walk: every live task, shard after shard, each shard in spawn order.
 * for (t = weft__registry_first(rt); t; t = weft__registry_next(rt, t)) */
weft_task *weft__registry_first(const weft__runtime *rt);
weft_task *weft__registry_next(const weft__runtime *rt, const weft_task *t);

#endif /* WEFT_RT_WORKER_H */
