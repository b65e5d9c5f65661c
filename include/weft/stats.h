/*
 * weft/stats.h: seeing the scheduler: counters, the task dump, and the
 * settings of the trace and the weft-top socket (weft_config in weft/rt.h).
 *
 * Every function here may be called from any thread, task or not, while the
 * workers run: counters are read with atomic loads (each one exact, the set
 * not a single instant), and the task dump takes only the task registry's
 * lock, for the time it takes to copy the list. Nothing here suspends.
 */
#ifndef WEFT_STATS_H
#define WEFT_STATS_H

#include <stdint.h>

#include "weft/rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One worker's counters since the runtime started. Fields are only ever
 * added at the end. */
typedef struct weft_worker_stats {
  uint64_t tasks_run;    /* tasks that began running on this worker */
  uint64_t switches;     /* switches into tasks (each resume counts) */
  uint64_t steals_tried; /* victims looked at while searching */
  uint64_t steals_won;   /* steals that brought back work */
  uint64_t tasks_stolen; /* tasks those steals brought back */
  uint64_t parks;        /* times the worker went to sleep */
  uint64_t unparks;      /* sleeping workers this one woke */
  uint64_t inject_pops;  /* tasks taken from the shared inject queue */
  uint64_t timers_fired; /* sleeps ended by this worker's timers */
  uint64_t polls;        /* polls of the reactor (epoll) */
  uint64_t overflows;    /* local queue overflows to the inject queue */
  uint64_t io_events;    /* I/O readiness events delivered (weft's I/O) */
  uint64_t queue_depth;  /* tasks in its local queue now (several workers;
                            0 with one worker) */
  uint64_t yields_moved; /* yields kept on its private list while every
                            worker was busy, then moved to its local queue
                            for others to steal (several workers) */
  uint64_t spins;        /* parks that began with a brief spin (only while
                            to_thread jobs are in flight: weft_config.
                            idle_spin_us); parks counts them too */
  uint64_t spins_woken;  /* spins that a wake ended: parks that did not
                            sleep (parks - spins_woken sleeps) */
} weft_worker_stats;

/* The runtime's counters. Fields are only ever added at the end. */
typedef struct weft_stats {
  int workers;                   /* number of workers */
  uint64_t live_tasks;           /* tasks spawned and not finished */
  uint64_t inject_depth;         /* tasks in the shared inject queue now */
  uint64_t monitor_rescues;      /* stuck workers the monitor helped */
  uint64_t monitor_timers_fired; /* their timers it fired (not in the
                                    workers' timers_fired) */
  uint64_t blocking_threads;     /* blocking pool: threads now */
  uint64_t blocking_queue_depth; /* blocking pool: jobs waiting */
  uint64_t blocking_jobs;        /* blocking pool: jobs run */
  uint64_t procpool_jobs;        /* process pool: jobs run */
  uint64_t procpool_restarts;    /* process pool: children restarted */
  int64_t now_ns;                /* weft_now_ns() when read */
} weft_stats;

/* The runtime the calling task runs in, or NULL outside tasks. A task of a
 * weft_run program hands it to other threads that want to read stats; it
 * is valid until weft_run returns. */
weft_runtime *weft_runtime_current(void);

/* Reads the counters of rt_in (NULL: the calling task's runtime) into *out (may
 * be NULL) and the first n workers' into workers[0..n-1] (workers may be
 * NULL when n is 0). Any thread; never suspends, never stops a worker.
 * Returns the number of workers, or -EINVAL (no runtime, n < 0, or
 * workers NULL with n > 0). */
int weft_stats_get(weft_runtime *rt_in, weft_stats *out,
                   weft_worker_stats *workers, int n);

/* Writes a table of rt_in's counters (NULL: the calling task's runtime), one
 * row per worker, to fd (what weft_config.print_stats prints at shutdown). Any
 * thread. Returns 0, -EINVAL, or a negative errno code from write(2). */
int weft_stats_print(weft_runtime *rt_in, int fd);

/* The task dump (Go's goroutine dump): writes every live task of rt_in (NULL:
 * the calling task's runtime) to fd, one line each: its state (queued, running,
 * suspended; a pending cancel), name, spawn site, the worker it runs or last
 * ran on (known while debug mode, a trace, the SIGQUIT dump or the weft-top
 * socket is on; "-" otherwise) and, for a suspended task, what it waits on
 * ("sleep, 0.8 s left", "await task 'db'", "gather 3 tasks"). Any thread (from
 * a task too: it does not suspend). Returns the number of tasks, -EINVAL, or
 * -ENOMEM, or a negative errno code from write(2). */
int weft_dump_tasks(weft_runtime *rt_in, int fd);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_STATS_H */
