/*
 * rt/stack.h: task stacks, carved from slabs, with guard pages and a cache.
 *
 * A task takes a stack when it first runs and gives it back when it ends.
 * Stacks come in power-of-two size classes from WEFT_STACK_MIN; each class
 * carves them out of slabs: one mmap(MAP_NORESERVE) holding many stacks, each
 * preceded (below it: stacks grow down) by a guard page. The kernel allows
 * about 65,530 maps per process and an mprotect()ed guard would split the
 * slab into two maps per stack, so guards are made with MADV_GUARD_INSTALL
 * (Linux 6.13+), which leaves the slab one map. Where the kernel lacks it, a
 * canary word at the bottom of each stack is checked at every switch out of
 * the task instead (weft__stack_canary_ok).
 *
 * Returned stacks go to a small per-worker cache (warm, no locking); past
 * its bound half of it moves to the pool's free lists, last in, first out.
 * A worker whose cache is empty takes half a cache at once from the pool;
 * the first (top) page of each cold stack among them (fresh from a new
 * slab, or given back) is faulted in then, all in one system call
 * (rt/pages.c): a first write that faults costs 12-16 us on this VM, the
 * batch about 1 us a page (plus a cheaper trap at the first write on this
 * VM, rt/pages.c says why), and a task that sleeps touches that page alone
 * (bench/findings-timers.md). A slab's guard pages are made in one call
 * too.
 * Pages are given back to the kernel (MADV_DONTNEED) by decay, as jemalloc
 * does for its heap: about once a second, while the pool is in use, the
 * free stacks of a class that stayed unused for the whole second, beyond
 * WEFT__STACK_WARM_MAX of them, lose their pages. A burst of tasks that
 * comes back within the second finds its stacks warm; RSS falls back to
 * the stacks in use plus the caches and the warm ones after it. Slabs live as
 * long as the process; the free stacks of a runtime that ends are retired,
 * pages released, for the next runtime.
 *
 * The slab table can be read from a signal handler (weft__stack_lookup) so
 * that a guard hit is reported with the task that owns the stack.
 */
#ifndef WEFT_RT_STACK_H
#define WEFT_RT_STACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define WEFT__STACK_CLASSES 10 /* 16 KiB .. 8 MiB */
#define WEFT__STACK_CACHE 64   /* per worker and class */
#define WEFT__STACK_MAX ((size_t)8 << 20)
/* Free stacks per class that keep their pages however long they sit unused.
 * Past it the decay gives pages back (madvise, a TLB shootdown on every core
 * the process runs on, and faults when the stack is used again). When this
 * was applied at every free, with no decay: at 256, gather and fan-out of
 * 1,000 live tasks at 2 workers spent 57 us and 56 us per task there; at
 * 4096, 0.19 and 0.38 us (bench/RESULTS.md); 100,000 sleeping tasks still
 * spent a third of their time in it. The memory kept is what those stacks
 * touched: a few KiB each for most tasks. */
#define WEFT__STACK_WARM_MAX 4096
/* The decay's period (above). */
#define WEFT__STACK_DECAY_NS ((int64_t)1000 * 1000 * 1000)

typedef struct weft__stack {
  char *lo;      /* lowest usable byte; the guard page lies just below */
  size_t size;   /* usable bytes, the class size */
  uint32_t slab; /* index in the slab table */
  uint16_t slot; /* index in the slab (at most SLAB_TARGET / 20 KiB) */
  bool cold;     /* its pages are not there: never touched since its slab
                    was mapped, or given back; its first page is faulted
                    in with others' before a worker uses it */
} weft__stack;

typedef struct weft__stack_freelist {
  weft__stack *items;
  size_t len, cap;
} weft__stack_freelist;

typedef struct weft__stack_pool {
  pthread_mutex_t lock;                           /* guards the lists */
  weft__stack_freelist free[WEFT__STACK_CLASSES]; /* under lock */
  /* Decay, under lock: per class, free[k].items[0..cold) have had their
   * pages given back, and low is the fewest free stacks seen since the
   * last decay (items[0..low) sat unused all that time); when it ran. */
  size_t cold[WEFT__STACK_CLASSES];
  size_t low[WEFT__STACK_CLASSES];
  int64_t decayed_ns;
  bool guards; /* MADV_GUARD_INSTALL works; else canaries. Set at init. */
} weft__stack_pool;

/* A worker's cache: owner worker only. */
typedef struct weft__stack_cache {
  weft__stack items[WEFT__STACK_CLASSES][WEFT__STACK_CACHE];
  uint32_t len[WEFT__STACK_CLASSES];
  /* The first pages of the cold stacks of one refill, faulted in together
   * after the pool's lock is let go (not on the stack of the caller, which
   * may be a task's). */
  struct iovec cold[WEFT__STACK_CACHE / 2 + 1];
} weft__stack_cache;

int weft__stack_pool_init(weft__stack_pool *p);
void weft__stack_pool_fini(weft__stack_pool *p);
void weft__stack_cache_init(weft__stack_cache *c);
/* Moves every cached stack back to the pool. */
void weft__stack_cache_flush(weft__stack_cache *c, weft__stack_pool *p);

/* The usable size for a requested size: the class size, or 0 if too large. */
size_t weft__stack_class_size(size_t want);

/* Takes a stack of `size` bytes, a class size (weft__stack_class_size's
 * result: tasks round their request when they are made, not at each
 * start), recording `owner` for reports. Owner worker (cache) only.
 * Returns 0 or -ENOMEM. */
int weft__stack_get(weft__stack_cache *c, weft__stack_pool *p, size_t size,
                    void *owner, weft__stack *out);
/* Gives a stack back. Owner worker (cache) only. */
void weft__stack_put(weft__stack_cache *c, weft__stack_pool *p, weft__stack *s);

#define WEFT__STACK_CANARY 0x5745465443414e59ull /* "WEFTCANY" */

/* Canary fallback: true unless the bottom of the stack was overwritten.
 * Always true when guards are in use. Checked at every switch out of a
 * task, so it is inline. */
static inline bool weft__stack_canary_ok(const weft__stack_pool *p,
                                         const weft__stack *s) {
  return p->guards ||
         *(const uint64_t *)(const void *)s->lo == WEFT__STACK_CANARY;
}

/* Async-signal-safe: if addr lies in a guard page (or, canary mode, in a
 * stack), returns true and the owner recorded for that stack (NULL if free)
 * and the stack's usable size. */
bool weft__stack_lookup(const void *addr, bool *in_guard, void **owner,
                        size_t *size);

#endif /* WEFT_RT_STACK_H */
