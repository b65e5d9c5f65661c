/*
 * rt/ring.h: a worker's local run queue: a bounded lock-free ring of task
 * pointers. The worker that owns it pushes and pops (FIFO); any other worker
 * steals half of it at once into its own ring. When the ring is full the
 * owner moves its oldest half to the global inject queue (take_half).
 * The algorithm, its invariants and the alternatives rejected: rt/ring.c.
 *
 * Who may call what:
 *   owner only   weft__ring_push, weft__ring_pop, weft__ring_take_half
 *                (one thread at a time; the owner may change hands only
 *                through a synchronising handover, e.g. a join)
 *   any thread   weft__ring_steal_into(src, dst), where the caller owns dst;
 *                weft__ring_len, weft__ring_is_empty, weft__ring_capacity
 *   nobody else  weft__ring_init, weft__ring_init_at, weft__ring_fini
 *                (before the ring is shared / after every user is done)
 */
#ifndef WEFT_RT_RING_H
#define WEFT_RT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/rt.h" /* weft_task */

/* The capacity weft__ring_init(r, 0) gives: a power of two, at least 2.
 * Defined at build time (-DWEFT_RING_CAPACITY=4) to make every ring tiny,
 * so overflow, steal contention and index wrap-around run all the time
 * (STYLE habit 9; Tokio shrinks its queue to 4 under loom the same way).
 * 1024 rather than Tokio's 256: measured with bench/run.sh, yield_many
 * (1,000 tasks) at 2 workers holds 500 ready tasks per worker, and a
 * 256-slot ring overflowed through the shared inject queue about 40,000
 * times a run (115 ns per yield, against 15 ns at 4 workers, where 250 fit).
 * It costs 8 KiB per worker. */
#ifndef WEFT_RING_CAPACITY
#define WEFT_RING_CAPACITY 1024
#endif

struct weft__ring_block; /* the shared words and the slots: rt/ring.c */

/* Embeddable anywhere (no alignment beyond a pointer's): the words other
 * threads write live in a separately allocated block, each on its own cache
 * line. Every field here is written by init only and read-only after it, so
 * stealers reading them share the line with no traffic. */
typedef struct weft__ring {
  struct weft__ring_block *b; /* head, tail, slots (64-byte aligned) */
  void *mem;                  /* the allocation b was carved from */
  uint32_t mask;              /* capacity - 1 */
} weft__ring;

/* Makes an empty ring of capacity slots: a power of two from 2 to 2^31, or
 * 0 for WEFT_RING_CAPACITY. Returns 0, -EINVAL or -ENOMEM. */
int weft__ring_init(weft__ring *r, uint32_t capacity);

/* For tests: as weft__ring_init, with every index starting at start (e.g.
 * near UINT32_MAX, so the u32 indices wrap within a few operations). */
int weft__ring_init_at(weft__ring *r, uint32_t capacity, uint32_t start);

/* Frees the slots. Tasks still queued are forgotten, not touched: drain the
 * ring first. No thread may be stealing from it (or into it). */
void weft__ring_fini(weft__ring *r);

/* Owner only. Appends t; returns false (and leaves t to the caller) when the
 * ring is full or a stealer is still copying out of the slots t would need.
 * The caller then calls weft__ring_take_half. */
bool weft__ring_push(weft__ring *r, weft_task *t);

/* Owner only. Claims the oldest half of the queued tasks (rounded up) and
 * writes them to out, oldest first; returns how many (at most capacity / 2,
 * so out needs room for weft__ring_capacity(r) / 2). The overflow path of a
 * failed push: the caller moves them, and its task, to the inject queue.
 * Returns 0 while a stealer is mid-steal: that steal is freeing slots, so
 * the caller either retries the push or, as Tokio does, sends just its one
 * task to the inject queue (which never waits on a descheduled stealer). */
uint32_t weft__ring_take_half(weft__ring *r, weft_task **out);

/* Owner only. Removes and returns the oldest task, or NULL when empty. */
weft_task *weft__ring_pop(weft__ring *r);

/* Any thread that owns dst (dst != src). Moves the oldest half of src's
 * tasks (rounded up, and no more than dst has room for) into dst, and
 * returns the newest of them to run at once instead of queueing it. Returns
 * NULL if nothing was stolen: src empty, dst full, or another thread is
 * stealing from src right now (one steal per src at a time; the caller
 * moves on to the next victim rather than waiting). */
weft_task *weft__ring_steal_into(weft__ring *src, weft__ring *dst);

/* Any thread. The number of queued tasks not claimed by a steal: exact for
 * the owner between its own calls, a snapshot (0 to capacity) for others. */
uint32_t weft__ring_len(const weft__ring *r);
bool weft__ring_is_empty(const weft__ring *r);

/* Any thread. */
static inline uint32_t weft__ring_capacity(const weft__ring *r) {
  return r->mask + 1;
}

#endif /* WEFT_RT_RING_H */
