/*
 * rt/atomic.h: how weft touches shared words.
 *
 * Read-modify-writes (CAS, fetch-add, exchange) are Concurrency Kit's ck_pr
 * operations, built with CK_USE_CC_BUILTINS=1 so they compile to the
 * compiler's __sync builtins: full barriers that ThreadSanitizer understands
 * (CK's default x86-64 inline assembly is opaque to it).
 *
 * Plain loads and stores are NOT taken from ck_pr: even in builtin mode
 * ck_pr_load and ck_pr_store are volatile accesses, which TSan treats as
 * ordinary memory accesses, so every concurrent load of a word another
 * thread CASes would be reported as a race, and an unlock by ck_pr_store
 * would not be seen as a release. Loads and stores of shared words therefore
 * use the __atomic builtins with an explicit order, which cost the same plain
 * `mov` on x86-64 and carry their meaning to TSan. No object is ever accessed
 * through C11 _Atomic.
 *
 * Exchange is not taken from ck_pr either: CK emulates ck_pr_fas_* with a
 * ck_pr_load and a CAS loop, and that load is a plain access to TSan;
 * weft__exchange is the __atomic_exchange_n builtin (one xchg).
 *
 * The spinlock is test-and-test-and-set on the same terms (ck_spinlock's
 * unlock is a ck_pr_store, see above). Its wait (rt/spinlock.c) gives the
 * CPU away when a wait lasts: see there.
 */
#ifndef WEFT_RT_ATOMIC_H
#define WEFT_RT_ATOMIC_H

#include <stdbool.h>

#include <ck_pr.h>

#define weft__load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define weft__load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define weft__store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define weft__store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Stores v and returns the old value, acquire and release (one xchg). */
#define weft__exchange(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

typedef struct weft__spinlock {
  unsigned int locked; /* 0 or 1 */
} weft__spinlock;

#define WEFT__SPINLOCK_INIT                                                    \
  { 0 }

/* A busy wait's progress (rt/spinlock.c): start at {0}, call
 * weft__backoff_step once per failed poll. */
typedef struct weft__backoff {
  unsigned polls, yields;
} weft__backoff;
/* One step of a wait: a pause, or after enough of them a yield of the CPU,
 * or after enough of those a short sleep. */
void weft__backoff_step(weft__backoff *b);

/* Waits until l looks free (rt/spinlock.c); out of line, as it is rare. */
void weft__spin_wait(weft__spinlock *l);

static inline void weft__spin_lock(weft__spinlock *l) {
  /* Acquire: pairs with the release store in weft__spin_unlock. */
  while (__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE))
    weft__spin_wait(l);
}

static inline bool weft__spin_trylock(weft__spinlock *l) {
  return !weft__load_relaxed(&l->locked) &&
         !__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE);
}

static inline void weft__spin_unlock(weft__spinlock *l) {
  weft__store_release(&l->locked, 0u);
}

#endif /* WEFT_RT_ATOMIC_H */
