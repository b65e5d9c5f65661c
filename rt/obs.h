/*
 * rt/obs.h: observing a runtime (weft/stats.h): the settings and their
 * environment variables, what starts before the workers and what runs after
 * they are joined, and the hot-path macros that count and trace together.
 *
 * Start (weft__obs_start, before the worker threads): the trace buffers,
 * debug mode's handle list, the observation flag of each worker (w->debug:
 * the switch hooks of rt/debug.h run when anything observes), and the
 * inspector thread (rt/inspect.c) for the SIGQUIT dump and the weft-top
 * socket.
 * Finish (weft__obs_finish, after the join, before anything is freed): the
 * inspector stops, debug mode reports unawaited handles, the trace is
 * written, the counters' table printed.
 */
#ifndef WEFT_RT_OBS_H
#define WEFT_RT_OBS_H

#include <stdio.h>

#include "rt/trace.h"
#include "rt/worker.h"
#include "weft/stats.h"

typedef struct weft__obs {
  char *trace_path; /* a copy, or NULL */
  char *top_path;   /* a copy, or NULL */
  uint64_t trace_events;
  bool print_stats;
  bool dump_on_sigquit;
  struct weft__inspector *insp; /* rt/inspect.c, or NULL */
} weft__obs;

/* Applies the environment (WEFT_DEBUG, WEFT_STATS, WEFT_TRACE,
 * WEFT_TRACE_EVENTS, WEFT_DUMP, WEFT_TOP) over rt->cfg and keeps copies of
 * the paths. Before the workers are made. Returns 0, -EINVAL (a bad
 * WEFT_TRACE_EVENTS) or -ENOMEM. */
int weft__obs_config(weft__runtime *rt);
/* After the workers are made, before their threads start. Returns 0 or a
 * negative errno code. */
int weft__obs_start(weft__runtime *rt);
/* After the worker threads are joined. Safe if start never ran. */
void weft__obs_finish(weft__runtime *rt);
/* Frees what config kept. */
void weft__obs_free(weft__runtime *rt);

/* A wake of worker v by w (counted, traced). Owner. */
#define WEFT__UNPARKED(w, v)                                                   \
  do {                                                                         \
    WEFT__STAT_ADD(w, unparks, 1);                                             \
    WEFT__TRACE(w, WEFT__TR_UNPARK, (v), 0);                                   \
  } while (0)
/* A won steal of n tasks from victim v (counted, traced). Owner. */
#define WEFT__STOLEN(w, v, n)                                                  \
  do {                                                                         \
    WEFT__STAT_ADD(w, steals_won, 1);                                          \
    WEFT__STAT_ADD(w, tasks_stolen, (n));                                      \
    WEFT__TRACE(w, WEFT__TR_STEAL, (v)->index, (n));                           \
  } while (0)

/* rt/inspect.c: the inspector thread. */
int weft__inspect_start(weft__runtime *rt);
void weft__inspect_stop(weft__runtime *rt);

/* rt/stats.c: the counters as text, for the table and the socket. */
int weft__stats_snapshot(weft__runtime *rt, FILE *f);
void weft__stats_table(weft__runtime *rt, FILE *f);
/* rt/dump.c: the task dump into f. Returns the number of tasks or
 * -ENOMEM. */
int weft__dump_tasks(weft__runtime *rt, FILE *f);

#endif /* WEFT_RT_OBS_H */
