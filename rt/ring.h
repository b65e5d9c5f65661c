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

#include "rt/atomic.h"
#include "rt/common.h" /* WEFT_CACHELINE */
#include "weft/rt.h"   /* weft_task */

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

/* Owner only. Claims the oldest half of the queued tasks (rounded up) and
 * writes them to out, oldest first; returns how many (at most capacity / 2,
 * so out needs room for weft__ring_capacity(r) / 2). The overflow path of a
 * failed push: the caller moves them, and its task, to the inject queue.
 * Returns 0 while a stealer is mid-steal: that steal is freeing slots, so
 * the caller either retries the push or, as Tokio does, sends just its one
 * task to the inject queue (which never waits on a descheduled stealer). */
uint32_t weft__ring_take_half(weft__ring *r, weft_task **out);

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

/* ---- the owner's hot path, inline (it runs once per task switch) ------ */

/* Allocated once at init; carved 64-byte aligned out of mem. Declared here
 * only so push and pop can be inlined; the protocol is in rt/ring.c. */
struct weft__ring_block {
  /* steal << 32 | real. Any thread; changed only by CAS. */
  _Alignas(WEFT_CACHELINE) uint64_t head;
  /* Owner writes (store-release), stealers load-acquire. Own line: the
   * owner's pushes do not disturb the CASes on head. */
  _Alignas(WEFT_CACHELINE) uint32_t tail;
  /* Written by the owner, read by a stealer after claiming (I3, I5). */
  _Alignas(WEFT_CACHELINE) weft_task *slot[];
};

static inline uint64_t weft__ring_pack(uint32_t steal, uint32_t real) {
  return (uint64_t)steal << 32 | real;
}
static inline uint32_t weft__ring_steal_of(uint64_t head) {
  return (uint32_t)(head >> 32);
}
static inline uint32_t weft__ring_real_of(uint64_t head) {
  return (uint32_t)head;
}

/* Owner only. Appends t; returns false (and leaves t to the caller) when the
 * ring is full or a stealer is still copying out of the slots t would need.
 * The caller then calls weft__ring_take_half. */
static inline bool weft__ring_push(weft__ring *r, weft_task *t) {
  struct weft__ring_block *b = r->b;
  /* Relaxed: this thread is the only writer of tail (I5). */
  uint32_t tail = weft__load_relaxed(&b->tail);
  /* Acquire: pairs with the CAS that ends a steal (steal_into step 4): once
   * we see steal past a slot, the stealer's read of it happened before our
   * write below. A stale steal only makes the ring look fuller. */
  uint32_t steal = weft__ring_steal_of(weft__load_acquire(&b->head));
  if (tail - steal > r->mask) /* tail - steal == capacity (I1) */
    return false;
  b->slot[tail & r->mask] = t;
  /* Release: publishes the slot written above; pairs with the load-acquire
   * of tail in steal_into step 2. */
  weft__store_release(&b->tail, tail + 1);
  return true;
}

/* Owner only. Removes and returns the oldest task, or NULL when empty. */
static inline weft_task *weft__ring_pop(weft__ring *r) {
  struct weft__ring_block *b = r->b;
  /* Relaxed: only this thread writes tail (I5). */
  uint32_t tail = weft__load_relaxed(&b->tail);
  /* Relaxed: a guess the CAS below checks; the slot we read was written by
   * this thread, so nothing needs to be acquired. */
  uint64_t head = weft__load_relaxed(&b->head);
  for (;;) {
    uint32_t steal = weft__ring_steal_of(head);
    uint32_t real = weft__ring_real_of(head);
    if (real == tail)
      return NULL;
    /* With no steal in progress both indices move (I4); during one, only
     * real does, and the stealer's release (step 4) catches up. */
    uint64_t next = weft__ring_pack(steal == real ? real + 1 : steal, real + 1);
    /* Release: the new real must carry the tail stores made before it, for
     * the load-acquire of head in steal_into step 2 and len (tail >= real).
     * Atomic against a stealer's claim (step 2) and release (step 4); on
     * failure head is the current value and we retry. */
    if (ck_pr_cas_64_value(&b->head, head, next, &head))
      return b->slot[real & r->mask];
  }
}

#endif /* WEFT_RT_RING_H */
