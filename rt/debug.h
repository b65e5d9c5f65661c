/*
 * rt/debug.h: the observation hooks of a switch, and debug mode
 * (weft_config.debug or WEFT_DEBUG=1, asyncio's debug=True).
 *
 * The scheduler calls the slice hooks (weft__debug_slice_begin/_end) at
 * every switch into and out of a task, behind one test of the worker's
 * `debug` flag, which is on when anything observes the runtime: debug mode,
 * a trace (rt/trace.h), the SIGQUIT dump or the weft-top socket (rt/obs.h).
 * A runtime observed by nothing pays that one predictable branch.
 *
 * Debug mode's reports, on stderr:
 *  - slow tasks: the monitor thread (rt/monitor.c; started in debug mode
 *    even with one worker) sees a slice that has run past
 *    slow_task_seconds and reports the task while it still runs; the
 *    worker reports its full duration when it switches out.
 *  - tasks still pending when shutdown cancels them;
 *  - tasks whose handle was neither awaited nor detached by the end;
 *  - stack high-water marks past three quarters at a task's exit.
 *
 * The monitor reads a running task safely (it may finish and be freed at
 * any moment): the slice is published as a seqlock (slice_seq odd while
 * the worker writes slice_start and slice_task), and the monitor describes
 * the task under the registry lock after checking the sequence has not
 * moved: a task is removed from the registry (taking that lock) only after
 * its last slice ended, and freed only after that.
 */
#ifndef WEFT_RT_DEBUG_H
#define WEFT_RT_DEBUG_H

#include "rt/worker.h"

/* w->current was switched in: start its slice. Owner. */
void weft__debug_slice_begin(weft__worker *w);
/* t switched out: end its slice, report it if it was slow. Owner. */
void weft__debug_slice_end(weft__worker *w, const weft_task *t);
/* t is starting on a fresh stack: fill the stack with the pattern. */
void weft__debug_stack_fill(const weft_task *t);
/* t finished: report its stack high-water mark if it is high. */
void weft__debug_stack_check(const weft_task *t);
/* Shutdown cancels t, which was still pending. */
void weft__debug_pending(const weft_task *t);

/* The monitor: reports w's current task if its slice has passed the
 * threshold and was not reported yet (*reported: the last slice reported,
 * the monitor's own memory). Monitor thread only. */
void weft__debug_check_slow(weft__worker *w, int64_t now, uint64_t *reported);

/* Handles (debug mode): a handle is tracked from its spawn; awaiting
 * (await, gather, wait) or detaching it is noted; weft__debug_report_handles
 * reports, after the workers stopped, every handle neither awaited nor
 * detached (if report), and frees the records. Any thread. */
int weft__debug_handles_init(weft__runtime *rt); /* 0 or -1 (no memory) */
void weft__debug_track_handle(weft_task *t);
void weft__debug_awaited(weft_task *t);
void weft__debug_detached(weft_task *t);
void weft__debug_report_handles(weft__runtime *rt, bool report);

#endif /* WEFT_RT_DEBUG_H */
