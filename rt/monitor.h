/*
 * rt/monitor.h: the monitor thread (Go's sysmon; DESIGN 3).
 *
 * C cannot preempt a task, so a task that computes for a long time without
 * suspending holds its worker: the worker fires no timers and takes no
 * work. The monitor samples each worker's tick every millisecond or so
 * (backing off to 10 ms while nothing is stuck). A worker that is awake
 * (not parked) and whose tick has not moved for STUCK_NS is stuck: the
 * monitor fires its expired timers itself (a try-lock on the heap: it never
 * waits for the worker) and polls its reactor with a zero timeout, which
 * sends the woken tasks to the inject queue, and, if the stuck worker has
 * tasks queued, wakes a parked worker to come and steal them. Only runtimes
 * with more than one worker rescue: with one, nobody else could run the
 * tasks. In debug mode the monitor also reports slow tasks while they run
 * (rt/debug.h), and runs for that with one worker too.
 */
#ifndef WEFT_RT_MONITOR_H
#define WEFT_RT_MONITOR_H

struct weft__runtime;

/* Starts the monitor thread. Returns 0 or a negative errno code. */
int weft__monitor_start(struct weft__runtime *rt);
/* Stops and joins it. Safe if it never started. */
void weft__monitor_stop(struct weft__runtime *rt);

#endif /* WEFT_RT_MONITOR_H */
