/*
 * rt/trace.h: the scheduler trace (WEFT_TRACE=path or weft_config.
 * trace_path), written at shutdown as Chrome trace-event JSON, which
 * Perfetto (ui.perfetto.dev) and chrome://tracing open.
 *
 * Recording: each worker appends fixed-size events to its own buffer (no
 * sharing, no atomics), bounded by trace_events per worker; once full, it
 * counts what it drops and keeps the prefix (the JSON says how many were
 * dropped). Events: task run slices (from the switch hooks, rt/debug.h),
 * steals (victim, tasks taken), parks (a slice while the worker sleeps),
 * unparks (which worker this one woke), timer wakes (the task woken; those
 * the monitor fires for a stuck worker are on no track, only counted in
 * weft_stats.monitor_timers_fired), and
 * I/O events (io/: how many a poll delivered).
 * Writing: after the workers are joined, one track (tid) per worker.
 *
 * The hooks are one-line macros that test w->trace; a build configured with
 * -DWEFT_TRACE=OFF defines WEFT_NO_TRACE and the macros vanish (the cost
 * of the tests is measured in bench/RESULTS.md).
 */
#ifndef WEFT_RT_TRACE_H
#define WEFT_RT_TRACE_H

#include <stdint.h>

#include "rt/common.h"

struct weft__worker;
struct weft__runtime;
struct weft_task;

enum {
  WEFT__TR_SLICE = 1, /* a task ran: ts, dur, the task */
  WEFT__TR_PARK,      /* the worker slept: ts, dur */
  WEFT__TR_UNPARK,    /* a = the worker it woke */
  WEFT__TR_STEAL,     /* a = victim, b = tasks taken */
  WEFT__TR_TIMER,     /* a timer woke the task */
  WEFT__TR_IO,        /* b = I/O events delivered by one poll */
};

#if !defined(WEFT_NO_TRACE)
#define WEFT__TRACE(w, kind, a, b)                                             \
  do {                                                                         \
    if (WEFT_UNLIKELY((w)->trace))                                             \
      weft__trace_add((w), (kind), (a), (b), NULL, 0, 0);                      \
  } while (0)
#define WEFT__TRACE_TASK(w, kind, t)                                           \
  do {                                                                         \
    if (WEFT_UNLIKELY((w)->trace))                                             \
      weft__trace_add((w), (kind), 0, 0, (t), 0, 0);                           \
  } while (0)
#define WEFT__TRACE_SLICE(w, t, start, dur)                                    \
  do {                                                                         \
    if ((w)->trace)                                                            \
      weft__trace_add((w), WEFT__TR_SLICE, 0, 0, (t), (start), (dur));         \
  } while (0)
/* A park: the start is taken before the sleep, the event added after. */
#define WEFT__TRACE_PARK_BEGIN(w)                                              \
  int64_t weft__park_t0 = WEFT_UNLIKELY((w)->trace) ? weft_now_ns() : 0
#define WEFT__TRACE_PARK_END(w)                                                \
  do {                                                                         \
    if (WEFT_UNLIKELY((w)->trace))                                             \
      weft__trace_add((w), WEFT__TR_PARK, 0, 0, NULL, weft__park_t0,           \
                      weft_now_ns() - weft__park_t0);                          \
  } while (0)
#else
#define WEFT__TRACE(w, kind, a, b) ((void)0)
#define WEFT__TRACE_TASK(w, kind, t) ((void)0)
#define WEFT__TRACE_SLICE(w, t, start, dur) ((void)0)
#define WEFT__TRACE_PARK_BEGIN(w) ((void)0)
#define WEFT__TRACE_PARK_END(w) ((void)0)
#endif

/* Records one event in w's buffer (ts: now when start is 0). Owner. */
void weft__trace_add(struct weft__worker *w, int kind, int64_t a, int64_t b,
                     const struct weft_task *t, int64_t start, int64_t dur);

/* Allocates the workers' buffers (cap events each). Returns 0 or -ENOMEM.
 * Before the workers start. */
int weft__trace_start(struct weft__runtime *rt, uint64_t cap);
/* Writes the JSON to path and frees the buffers. After the join. Returns 0
 * or a negative errno code. */
int weft__trace_finish(struct weft__runtime *rt, const char *path);

#endif /* WEFT_RT_TRACE_H */
