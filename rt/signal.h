/*
 * rt/signal.h: signals delivered to tasks through one signalfd
 * (rt/signal.c), and SIGINT's graceful shutdown.
 */
#ifndef WEFT_RT_SIGNAL_H
#define WEFT_RT_SIGNAL_H

#include <stdbool.h>

struct weft__runtime;

/* Before any runtime thread exists: blocks the handled signals in the
 * calling thread (run: also SIGINT, unless kept or named) and opens the
 * signalfd. Nothing to do (0) when no signal is handled. Returns 0, -EINVAL
 * (a signal that cannot be handled: SIGKILL, SIGSTOP, a synchronous fault
 * signal, or out of range), or the error of signalfd/eventfd. */
int weft__signals_open(struct weft__runtime *rt, bool run);
/* Starts the reading thread (once the main task exists). Returns 0 or a
 * negative code. */
int weft__signals_start(struct weft__runtime *rt);
/* After the workers are joined: stops the thread, consumes signals still
 * pending, and, for weft_run (same thread as open), restores the calling
 * thread's mask. Frees everything. */
void weft__signals_close(struct weft__runtime *rt);

#endif /* WEFT_RT_SIGNAL_H */
