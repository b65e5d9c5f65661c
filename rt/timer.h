/*
 * rt/timer.h: a worker's deadline heap.
 *
 * Entries are values in a binary min-heap ordered by (deadline, seq): equal
 * deadlines fire in the order they were armed, as asyncio's do when it
 * computes equal `when`s. An entry names a task and a generation; it fires
 * only if it can claim the task's timer_gen by CAS from that generation, so
 * cancelling a timer is a fetch-add on the task (any thread) and leaves a
 * tombstone here, and a late timer never wakes a later wait. Each entry holds
 * a task reference, dropped when the entry leaves the heap. When tombstones
 * pass half the heap it is rebuilt without them.
 * The heap is under `lock`: its worker arms and fires timers, and the
 * monitor thread (rt/monitor.c) fires the expired timers of a worker stuck
 * in a long task, with a try-lock so it never waits on one. `armed`
 * mirrors the entry count for lock-free "anything armed?" checks;
 * `cancelled` is bumped by cancellers on any thread.
 */
#ifndef WEFT_RT_TIMER_H
#define WEFT_RT_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/atomic.h"
#include "rt/task.h"

typedef struct weft__timer {
  int64_t deadline;
  uint64_t seq;
  weft_task *task;
  uint32_t gen;
} weft__timer;

typedef struct weft__timers {
  weft__spinlock lock; /* guards heap, len, cap, seq */
  weft__timer *heap;
  size_t len, cap;
  uint64_t seq;
  uint32_t armed;     /* len, mirrored: written under lock, read atomic */
  uint32_t cancelled; /* tombstones reported by cancellers: atomic */
} weft__timers;

/* True if no timer is armed (a snapshot). Any thread. */
static inline bool weft__timers_empty(const weft__timers *h) {
  return weft__load_relaxed(&h->armed) == 0;
}

void weft__timers_init(weft__timers *h);
/* Drops every entry (and its task reference). */
void weft__timers_fini(weft__timers *h);
/* Arms a timer for t at deadline with generation gen; takes a reference on
 * t. Returns 0 or -ENOMEM. */
int weft__timers_add(weft__timers *h, int64_t deadline, weft_task *t,
                     uint32_t gen);
/* The earliest deadline, or INT64_MAX when empty. */
int64_t weft__timers_next(const weft__timers *h);
/* Fires the timers whose deadline is <= now, in order, calling
 * fire(task, ctx) for each that claims its task, until max have fired (the
 * rest stay armed, expired, for the next call; SIZE_MAX: no limit);
 * returns how many fired. With try_only, gives up (returning 0) if the
 * heap is locked. */
size_t weft__timers_run(weft__timers *h, int64_t now, bool try_only, size_t max,
                        void (*fire)(weft_task *t, void *ctx), void *ctx);
/* Called by whoever cancels a timer (any thread): counts a tombstone. */
void weft__timers_note_cancel(weft__timers *h);

#endif /* WEFT_RT_TIMER_H */
