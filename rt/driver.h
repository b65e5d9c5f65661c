/*
 * rt/driver.h: what a worker sleeps on, declared here in rt/ and implemented
 * by io/reactor.c (DESIGN 2): the one upward need of the scheduler, kept to a
 * tiny fixed seam as libuv's core calls its platform poller.
 */
#ifndef WEFT_RT_DRIVER_H
#define WEFT_RT_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct weft__driver weft__driver;

/* Creates a driver for one worker. Returns 0 or a negative errno code. */
int weft__driver_open(weft__driver **out);
void weft__driver_close(weft__driver *d);

/* Waits for I/O events or a wake for at most timeout_ns (-1: no limit, 0:
 * just look). Returns the number of I/O events handled (a wake is not
 * counted) or a negative errno code. A wake made since the owner's last
 * poll with a timeout (while it ran, or spun) makes it return at once. The
 * owner worker; also the monitor thread with a zero timeout while the owner
 * is stuck in a task (rt/monitor.c): event handling is atomic per I/O
 * object, and each event goes to one of the two pollers. */
int weft__driver_poll(weft__driver *d, int64_t timeout_ns);

/* Before a poll with a timeout: spins at most spin_ns watching for a wake
 * (rt/spin.c says when). Returns true if a wake came (the poll that follows
 * then returns at once, with no sleep), false if the time ran out (the poll
 * then sleeps as usual). A wake that finds the owner spinning costs the
 * waker one atomic exchange and no system call. Owner worker only; the
 * poll must follow. */
bool weft__driver_spin(weft__driver *d, int64_t spin_ns);

/* Makes a poll in progress (or the next one with a timeout) return at once,
 * or a spin in progress end. Any thread. */
void weft__driver_wake(weft__driver *d);

/* How many I/O sources are registered, beyond the wake channel: a worker in
 * asyncio order skips its per-batch zero-timeout poll when there are none. */
int weft__driver_sources(const weft__driver *d);

/* ---- what io/ asks of rt/ (rt/iowait.c) ---- */

/* The driver of the worker running the calling thread, or NULL outside the
 * runtime's workers: where an fd opened by the calling task is registered
 * (its home). */
weft__driver *weft__driver_current(void);

/* Puts the calling task at the back of its worker's ready queue without
 * looking at (or consuming) a pending cancellation: the cooperative budget
 * (DESIGN 3) yields after an operation that completed, whose result must not
 * be lost to a -ECANCELED. May switch. */
void weft__driver_yield(void);

#endif /* WEFT_RT_DRIVER_H */
