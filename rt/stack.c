/*
 * rt/stack.c: slabs of guarded stacks, the pool's free lists and the
 * per-worker caches. See rt/stack.h for the design.
 *
 * The slab table is two-level (chunks of slab descriptors) and append-only:
 * a descriptor is filled in, then the count is published with a release
 * store, so a signal handler that reads the count with an acquire load sees
 * complete descriptors. Slab table growth takes the table lock; slabs are
 * shared by every pool of the process (several runtimes may coexist) and are
 * unmapped only at exit, so a late signal never reads freed memory.
 */
#include "rt/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/common.h"
#include "rt/pages.h"

#define GUARD ((size_t)4096)
#define SLAB_TARGET ((size_t)4 << 20) /* aim for about 4 MiB per slab */
#define CHUNK_SLABS 1024
#define WARM_MAX WEFT__STACK_WARM_MAX
#define MAX_CHUNKS 1024
/* weft__stack.slot is 16 bits: the most stacks a slab holds (the smallest
 * class, 16 KiB, and its guard) must fit. */
_Static_assert(SLAB_TARGET / (GUARD + (size_t)16 * 1024) <= UINT16_MAX,
               "slab slots fit weft__stack.slot");

typedef struct slab {
  char *base;    /* mapping start */
  size_t stride; /* GUARD + size */
  size_t size;   /* usable size of each stack */
  uint32_t nslots;
  void **owner; /* per slot: the task using it, or NULL; any thread writes
                   its own slot, the signal handler reads */
} slab;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static slab *chunks[MAX_CHUNKS]; /* written under table_lock, before count */
static uint32_t slab_count;      /* release store under table_lock; acquire
                                    load by lookup */
static int guards_state;         /* 0 unknown, 1 guards, -1 canaries */

/* Stacks of runtimes that have ended, per class, for later runtimes: slabs
 * are never unmapped, so without this each weft_run would map new ones.
 * Under table_lock; their pages were given back when they were retired. */
static weft__stack_freelist retired[WEFT__STACK_CLASSES];

/* Appends s to fl. Returns false if fl could not grow (the stack is then
 * lost to reuse: a leak of address space, not a fault). */
static bool freelist_push(weft__stack_freelist *fl, const weft__stack *s) {
  if (fl->len == fl->cap) {
    size_t cap = fl->cap ? fl->cap * 2 : 64;
    weft__stack *items =
        weft__realloc(fl->items, fl->cap * sizeof *items, cap * sizeof *items);
    if (!items)
      return false;
    fl->items = items;
    fl->cap = cap;
  }
  fl->items[fl->len++] = *s;
  return true;
}

static slab *slab_at(uint32_t i) {
  return &chunks[i / CHUNK_SLABS][i % CHUNK_SLABS];
}

size_t weft__stack_class_size(size_t want) {
  const size_t min = (size_t)16 * 1024;
  if (want <= min)
    return min;
  if (want > WEFT__STACK_MAX)
    return 0;
  /* The next power of two: one count-leading-zeros, no loop. */
  return (size_t)1 << (64 - __builtin_clzl((unsigned long)(want - 1)));
}

/* Classes are 16 KiB << k, so k is the power's exponent less 14. */
static int class_of(size_t size) { return __builtin_ctzl(size) - 14; }

static bool probe_guards(void) {
  void *p = mmap(NULL, 2 * GUARD, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return false;
  bool ok = madvise(p, GUARD, MADV_GUARD_INSTALL) == 0;
  munmap(p, 2 * GUARD);
  return ok;
}

int weft__stack_pool_init(weft__stack_pool *p) {
  memset(p, 0, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  pthread_mutex_lock(&table_lock);
  if (guards_state == 0)
    guards_state = probe_guards() ? 1 : -1;
  p->guards = guards_state > 0;
  pthread_mutex_unlock(&table_lock);
  return 0;
}

/* Maps a new slab for `size` and pushes its stacks on the free list.
 * Called with p->lock held. */
static int grow(weft__stack_pool *p, size_t size) {
  weft__stack_freelist *mine = &p->free[class_of(size)];
  pthread_mutex_lock(&table_lock);
  weft__stack_freelist *old = &retired[class_of(size)];
  size_t moved = 0;
  while (old->len > 0 && moved < 64 &&
         freelist_push(mine, &old->items[old->len - 1])) {
    old->len--;
    moved++;
  }
  pthread_mutex_unlock(&table_lock);
  if (moved)
    return 0;
  size_t stride = GUARD + size;
  size_t n = SLAB_TARGET / stride;
  if (n < 4)
    n = 4;
  weft__stack_freelist *fl = &p->free[class_of(size)];
  if (fl->cap < fl->len + n) {
    size_t cap = fl->cap ? fl->cap * 2 : 64;
    while (cap < fl->len + n)
      cap *= 2;
    weft__stack *items =
        weft__realloc(fl->items, fl->cap * sizeof *items, cap * sizeof *items);
    if (!items)
      return -ENOMEM;
    fl->items = items;
    fl->cap = cap;
  }
  void **owner = weft__calloc(n * sizeof *owner);
  if (!owner)
    return -ENOMEM;
  char *base =
      mmap(NULL, n * stride, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) {
    weft__free(owner, n * sizeof *owner);
    return -ENOMEM;
  }
  if (p->guards) { /* every guard of the slab in one call (rt/pages.c) */
    struct iovec *g = weft__alloc(n * sizeof *g);
    if (!g) {
      munmap(base, n * stride);
      weft__free(owner, n * sizeof *owner);
      return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
      g[i] = (struct iovec){.iov_base = base + i * stride, .iov_len = GUARD};
    int err = weft__pages_advise(g, n, MADV_GUARD_INSTALL);
    weft__free(g, n * sizeof *g);
    if (err)
      WEFT_PANIC("MADV_GUARD_INSTALL failed after it had worked");
  }

  pthread_mutex_lock(&table_lock);
  uint32_t idx = slab_count; /* only written under table_lock */
  if (idx >= (uint32_t)CHUNK_SLABS * MAX_CHUNKS ||
      (!chunks[idx / CHUNK_SLABS] && !(chunks[idx / CHUNK_SLABS] = weft__calloc(
                                           CHUNK_SLABS * sizeof(slab))))) {
    pthread_mutex_unlock(&table_lock);
    munmap(base, n * stride);
    weft__free(owner, n * sizeof *owner);
    return -ENOMEM;
  }
  *slab_at(idx) = (slab){.base = base,
                         .stride = stride,
                         .size = size,
                         .nslots = (uint32_t)n,
                         .owner = owner};
  /* Publishes the descriptor; pairs with the acquire load in lookup. */
  weft__store_release(&slab_count, idx + 1);
  pthread_mutex_unlock(&table_lock);

  /* Pushed in reverse so the lowest addresses are handed out first. */
  for (size_t i = n; i-- > 0;)
    fl->items[fl->len++] = (weft__stack){.lo = base + i * stride + GUARD,
                                         .size = size,
                                         .slab = idx,
                                         .slot = (uint16_t)i,
                                         .cold = true};
  return 0;
}

static int by_address(const void *a, const void *b) {
  const char *x = ((const weft__stack *)a)->lo;
  const char *y = ((const weft__stack *)b)->lo;
  return (x > y) - (x < y);
}

/* Gives back the pages of the stacks s[0..n) (sorted here by address): one
 * madvise per run of neighbouring slots of a slab, the guard pages between
 * them included (MADV_DONTNEED leaves guard markers in place, and the
 * canary of the fallback is rewritten whenever a stack is taken). Each
 * madvise costs a TLB shootdown on every core the process ran on: 100,000
 * sleeping tasks ending at one worker spent a third of their time in them
 * when each stack had its own. Under p->lock, or on a list no one else
 * sees. */
static void give_back(weft__stack *s, size_t n) {
  if (n == 0)
    return;
  qsort(s, n, sizeof *s, by_address);
  for (size_t i = 0; i < n; i++)
    s[i].cold = true;
  char *lo = s[0].lo;
  char *hi = s[0].lo + s[0].size;
  for (size_t i = 1; i <= n; i++) {
    if (i < n && s[i].slab == s[i - 1].slab && s[i].lo == hi + GUARD) {
      hi = s[i].lo + s[i].size;
      continue;
    }
    madvise(lo, (size_t)(hi - lo), MADV_DONTNEED);
    if (i < n) {
      lo = s[i].lo;
      hi = s[i].lo + s[i].size;
    }
  }
}

void weft__stack_pool_fini(weft__stack_pool *p) {
  /* Slabs stay mapped for the process (see the top of the file): the free
   * stacks are retired for later runtimes, their pages given back so an
   * idle process stays small. */
  pthread_mutex_lock(&table_lock);
  for (int c = 0; c < WEFT__STACK_CLASSES; c++) {
    weft__stack_freelist *fl = &p->free[c];
    if (fl->len > p->cold[c]) /* items[0..cold) are given back already */
      give_back(&fl->items[p->cold[c]], fl->len - p->cold[c]);
    for (size_t i = 0; i < fl->len; i++)
      freelist_push(&retired[c], &fl->items[i]);
    weft__free(fl->items, fl->cap * sizeof *fl->items);
  }
  pthread_mutex_unlock(&table_lock);
  pthread_mutex_destroy(&p->lock);
}

void weft__stack_cache_init(weft__stack_cache *c) {
  memset(c->len, 0, sizeof c->len);
}

#define DECAY_NS WEFT__STACK_DECAY_NS

static int64_t coarse_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Notes that class k's free list just shrank. Under p->lock. */
static void note_len(weft__stack_pool *p, int k) {
  size_t len = p->free[k].len;
  if (len < p->cold[k])
    p->cold[k] = len;
  if (len < p->low[k])
    p->low[k] = len;
}

/* The decay (rt/stack.h): at most once per DECAY_NS, gives back the pages
 * of the stacks that sat unused since the last decay, beyond WARM_MAX
 * warm ones per class. Under p->lock. */
static void decay(weft__stack_pool *p) {
  int64_t now = coarse_now_ns();
  if (now - p->decayed_ns < DECAY_NS)
    return;
  p->decayed_ns = now;
  for (int k = 0; k < WEFT__STACK_CLASSES; k++) {
    weft__stack_freelist *fl = &p->free[k];
    size_t idle = p->low[k] < fl->len ? p->low[k] : fl->len;
    if (idle > p->cold[k] + WARM_MAX) {
      size_t excess = idle - p->cold[k] - WARM_MAX;
      give_back(&fl->items[p->cold[k]], excess);
      p->cold[k] += excess;
    }
    p->low[k] = fl->len;
  }
}

/* Moves `count` stacks of class k from the cache to the top of the pool's
 * free list (they are the warmest), then lets the decay run. */
static void spill(weft__stack_cache *c, weft__stack_pool *p, int k,
                  uint32_t count) {
  pthread_mutex_lock(&p->lock);
  weft__stack_freelist *fl = &p->free[k];
  for (uint32_t i = 0; i < count && c->len[k] > 0; i++)
    freelist_push(fl, &c->items[k][--c->len[k]]);
  decay(p);
  pthread_mutex_unlock(&p->lock);
}

void weft__stack_cache_flush(weft__stack_cache *c, weft__stack_pool *p) {
  for (int k = 0; k < WEFT__STACK_CLASSES; k++)
    spill(c, p, k, c->len[k]);
}

static void set_owner(const weft__stack *s, void *owner) {
  weft__store_release(&slab_at(s->slab)->owner[s->slot], owner);
}

/* Makes the stack just taken ready for its owner. */
static inline void hand_out(const weft__stack_pool *p, const weft__stack *s,
                            void *owner) {
  if (!p->guards)
    *(uint64_t *)(void *)s->lo = WEFT__STACK_CANARY;
  set_owner(s, owner);
}

/* Notes s's first page in c->cold if s is cold (rt/stack.h), and marks s
 * warm: its page is faulted in before anyone uses it. */
static void note_cold(weft__stack_cache *c, weft__stack *s, size_t *n) {
  if (!s->cold)
    return;
  s->cold = false;
  c->cold[(*n)++] =
      (struct iovec){.iov_base = s->lo + s->size - GUARD, /* a page */
                     .iov_len = GUARD};
}

/* weft__stack_get's slow path, apart (a tail call) so that a cache hit
 * saves no registers for it: takes a stack of class k from the pool,
 * refilling half the cache. Returns 0 or -ENOMEM. */
WEFT_NOINLINE static int get_from_pool(weft__stack_cache *c,
                                       weft__stack_pool *p, size_t cls,
                                       void *owner, weft__stack *out) {
  int k = class_of(cls);
  pthread_mutex_lock(&p->lock);
  weft__stack_freelist *fl = &p->free[k];
  if (fl->len == 0) {
    int err = grow(p, cls);
    if (err) {
      pthread_mutex_unlock(&p->lock);
      return err;
    }
  }
  /* Refill half a cache at once so the lock is taken rarely. */
  size_t ncold = 0;
  while (fl->len > 1 && c->len[k] < WEFT__STACK_CACHE / 2) {
    weft__stack *s = &c->items[k][c->len[k]++];
    *s = fl->items[--fl->len];
    note_cold(c, s, &ncold);
  }
  *out = fl->items[--fl->len];
  note_cold(c, out, &ncold);
  note_len(p, k);
  pthread_mutex_unlock(&p->lock);
  /* Best effort: a page this misses faults in at its first write. */
  (void)weft__pages_advise(c->cold, ncold, MADV_POPULATE_WRITE);
  hand_out(p, out, owner);
  return 0;
}

int weft__stack_get(weft__stack_cache *c, weft__stack_pool *p, size_t size,
                    void *owner, weft__stack *out) {
  /* The caller rounded it (task_new does, once per task). */
  WEFT_DEBUG_ASSERT(weft__stack_class_size(size) == size);
  int k = class_of(size);
  if (WEFT_UNLIKELY(c->len[k] == 0))
    return get_from_pool(c, p, size, owner, out);
  *out = c->items[k][--c->len[k]];
  hand_out(p, out, owner);
  return 0;
}

/* weft__stack_put's slow path, apart for the same reason (a tail call):
 * the cache of class k is full, half of it goes to the pool, then s goes
 * in. */
WEFT_NOINLINE static void put_spill(weft__stack_cache *c, weft__stack_pool *p,
                                    int k, const weft__stack *s) {
  spill(c, p, k, WEFT__STACK_CACHE / 2);
  c->items[k][c->len[k]++] = *s;
}

void weft__stack_put(weft__stack_cache *c, weft__stack_pool *p,
                     weft__stack *s) {
  set_owner(s, NULL);
  int k = class_of(s->size);
  if (WEFT_UNLIKELY(c->len[k] == WEFT__STACK_CACHE)) {
    put_spill(c, p, k, s);
    return;
  }
  c->items[k][c->len[k]++] = *s;
}

bool weft__stack_lookup(const void *addr, bool *in_guard, void **owner,
                        size_t *size) {
  /* Acquire: pairs with the release store that published each slab. */
  uint32_t n = weft__load_acquire(&slab_count);
  const char *a = addr;
  for (uint32_t i = 0; i < n; i++) {
    const slab *sl = slab_at(i);
    if (a < sl->base || a >= sl->base + sl->stride * sl->nslots)
      continue;
    size_t off = (size_t)(a - sl->base);
    size_t slot = off / sl->stride;
    *in_guard = off % sl->stride < GUARD;
    *owner = weft__load_acquire(&sl->owner[slot]);
    *size = sl->size;
    return true;
  }
  return false;
}
