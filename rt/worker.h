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
#include "rt/inject.h"
#include "rt/runq.h"
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

typedef struct weft__worker_stats {
  uint64_t tasks_run; /* switches into tasks */
  uint64_t polls;     /* driver polls */
  uint64_t timers_fired;
  uint64_t inject_pops;
} weft__worker_stats;

typedef struct weft__worker {
  struct weft__runtime *rt;
  int index;
  weft__ctx sched;        /* the worker loop's own context (owner only) */
  weft_task *current;     /* the task running now (owner only) */
  int intent;             /* set by the task just before it switches out */
  weft_task *eager;       /* with WEFT__I_EAGER: the task to start at once */
  int eager_depth;        /* eager spawns in progress: no direct switches */
  weft_task *prev;        /* switched out directly; finished by the next task */
  weft__ctx dead_ctx;     /* where an exiting task's registers go */
  weft__stack dead_stack; /* an exited task's stack, given back next */
#if defined(WEFT_TSAN)
  void *dead_fiber;
#endif
  int prev_intent;
  size_t batch_left;   /* tasks left in the current batch (owner only) */
  uint64_t finished;   /* tasks finished here, for finish_seq (owner) */
  bool debug;          /* the runtime's debug mode (rt/debug.h) */
  int64_t slice_start; /* debug: when the current task was switched in */
  weft__runq runq;     /* ready tasks (owner only) */
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
} weft__worker;

typedef struct weft__runtime {
  weft_config cfg;
  size_t stack_size;  /* default usable stack size */
  bool asyncio_order; /* one worker: asyncio's batches and hops */
  int nworkers;
  weft__worker *workers;
  weft__stack_pool stacks;
  weft__inject inject;
  weft__spinlock tasks_lock; /* guards the registry below */
  weft_task *tasks;          /* every live task in spawn order, linked by */
  weft_task *tasks_tail;     /* reg_prev/next */
  uint64_t ntasks;           /* live tasks: under tasks_lock, read atomic */
  uint32_t shutdown;         /* 0 running, 1 shutting down: atomic */
  int64_t grace_deadline;    /* set when shutdown starts (worker only) */
  bool main_seen;            /* the main task was seen finished (worker) */
  weft_task *main;
} weft__runtime;

/* From a task: switch to the worker with the given intent. Returns when the
 * task is resumed (not for WEFT__I_EXIT). May switch. */
void weft__switch_out(int intent);

/* Queues a runnable task: on the current worker's queue when called from a
 * worker of its runtime, else on the inject queue (and wakes a worker).
 * The task's state must already say SCHEDULED. Any thread. */
void weft__sched_push(weft_task *t);

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

/* Registers a new task / removes a finished one (registry for shutdown). */
void weft__registry_add(weft__runtime *rt, weft_task *t);
void weft__registry_remove(weft__runtime *rt, weft_task *t);

#endif /* WEFT_RT_WORKER_H */
