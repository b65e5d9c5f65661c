/* The stack pool: size classes, reuse through the cache, spill to the pool,
 * the guard lookup, the map count staying small, and the decay: pages given
 * back only after a whole period unused, beyond the warm ones, in merged
 * runs that keep the guard pages between the stacks; the top pages of cold
 * stacks faulted in when a worker takes them. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "child.h"
#include "rt/stack.h"

static void sleep_past_decay(void) {
  struct timespec ts = {(time_t)(WEFT__STACK_DECAY_NS / 1000000000),
                        (long)(WEFT__STACK_DECAY_NS % 1000000000) +
                            100 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

static char *guard_target;
static void write_guard(void) {
  signal(SIGSEGV, SIG_DFL); /* not a sanitizer's report: the signal itself */
  guard_target[0] = 1;
}

/* DECAY_N stacks of 16 KiB (class 0), each marked at its top, all given
 * back to the pool: nothing loses its pages until they sat unused for a
 * whole period; then all but WEFT__STACK_WARM_MAX of the free ones do, and
 * their guards still fault. */
enum { DECAY_N = WEFT__STACK_WARM_MAX + 300 };

static void decay_test(void) {
  static weft__stack_pool pool;
  static weft__stack_cache cache;
  static weft__stack s[DECAY_N];
  CHECK_EQ(weft__stack_pool_init(&pool), 0);
  weft__stack_cache_init(&cache);
  for (int i = 0; i < DECAY_N; i++) {
    CHECK_EQ(weft__stack_get(&cache, &pool, 16 * 1024, NULL, &s[i]), 0);
    s[i].lo[s[i].size - 1] = 7;
  }
  for (int i = 0; i < DECAY_N; i++)
    weft__stack_put(&cache, &pool, &s[i]);
  weft__stack_cache_flush(&cache, &pool); /* a decay: nothing idle yet */
  int kept = 0;
  for (int i = 0; i < DECAY_N; i++)
    kept += s[i].lo[s[i].size - 1] == 7;
  CHECK_EQ(kept, DECAY_N);
  sleep_past_decay();
  weft__stack_cache_flush(&cache, &pool); /* starts a period: all free */
  sleep_past_decay();
  weft__stack_cache_flush(&cache, &pool); /* all sat unused through it */
  int zeroed = 0;
  const weft__stack *cold = NULL;
  for (int i = 0; i < DECAY_N; i++)
    if (s[i].lo[s[i].size - 1] == 0) {
      zeroed++;
      cold = &s[i];
    }
  /* Exactly the free stacks past the warm ones lost their pages (the free
   * list also holds the slabs' stacks never handed out), the oldest first:
   * some of ours among them. */
  CHECK_EQ(pool.cold[0], pool.free[0].len - WEFT__STACK_WARM_MAX);
  CHECK(zeroed >= 1 && (size_t)zeroed <= pool.cold[0]);
  if (pool.guards) {
    /* Given back in a run with its neighbours: the guard below it is
     * still there. */
    char buf[256];
    guard_target = cold->lo - 1;
    int st = run_in_child(write_guard, buf, sizeof buf);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  }
  weft__stack_pool_fini(&pool);
}

static bool resident(const char *p) {
  unsigned char v = 0;
  CHECK_EQ(mincore((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v), 0);
  return v & 1;
}

/* Cold stacks (a new slab's) get their top page faulted in when a worker
 * takes them from the pool, in one batch, before anything writes them; the
 * stacks left in the pool stay untouched. */
static void populate_test(void) {
  static weft__stack_pool pool;
  static weft__stack_cache cache;
  CHECK_EQ(weft__stack_pool_init(&pool), 0);
  weft__stack_cache_init(&cache);
  weft__stack s;
  CHECK_EQ(weft__stack_get(&cache, &pool, 64 * 1024, NULL, &s), 0);
  CHECK(!s.cold);
  CHECK(resident(s.lo + s.size - 1));
  CHECK(!resident(s.lo + s.size - 4097)); /* only the top page */
  /* The half cache taken with it: warm too. */
  CHECK(cache.len[2] > 0);
  for (uint32_t i = 0; i < cache.len[2]; i++) {
    CHECK(!cache.items[2][i].cold);
    CHECK(resident(cache.items[2][i].lo + cache.items[2][i].size - 1));
  }
  /* Still in the pool: cold and untouched. */
  const weft__stack_freelist *fl = &pool.free[2];
  CHECK(fl->len > 0);
  CHECK(fl->items[0].cold);
  CHECK(!resident(fl->items[0].lo + fl->items[0].size - 1));
  weft__stack_put(&cache, &pool, &s);
  weft__stack_cache_flush(&cache, &pool);
  weft__stack_pool_fini(&pool);
}

int main(void) {
  populate_test();
  CHECK_EQ(weft__stack_class_size(1), 16 * 1024);
  CHECK_EQ(weft__stack_class_size(16 * 1024), 16 * 1024);
  CHECK_EQ(weft__stack_class_size(16 * 1024 + 1), 32 * 1024);
  CHECK_EQ(weft__stack_class_size(64 * 1024), 64 * 1024);
  CHECK_EQ(weft__stack_class_size((size_t)8 << 20), (size_t)8 << 20);
  CHECK_EQ(weft__stack_class_size(((size_t)8 << 20) + 1), 0);

  static weft__stack_pool pool;
  static weft__stack_cache cache;
  CHECK_EQ(weft__stack_pool_init(&pool), 0);
  weft__stack_cache_init(&cache);

  int maps_before = count_maps();
  enum { N = 3000 };
  static weft__stack s[N];
  for (int i = 0; i < N; i++) {
    CHECK_EQ(weft__stack_get(&cache, &pool, weft__stack_class_size(20000),
                             &s[i], &s[i]),
             0);
    CHECK_EQ(s[i].size, 32 * 1024);
    memset(s[i].lo, 0xab, 64); /* usable */
    s[i].lo[s[i].size - 1] = 1;
  }
  /* 3000 stacks with guards cost a handful of maps, not 6000. */
  CHECK(count_maps() - maps_before < 100);

  bool in_guard;
  void *owner;
  size_t size;
  CHECK(weft__stack_lookup(s[5].lo - 1, &in_guard, &owner, &size));
  CHECK(in_guard);
  CHECK(owner == &s[5]);
  CHECK_EQ(size, 32 * 1024);
  CHECK(weft__stack_lookup(s[5].lo + 100, &in_guard, &owner, &size));
  CHECK(!in_guard);
  int local;
  CHECK(!weft__stack_lookup(&local, &in_guard, &owner, &size));

  for (int i = 0; i < N; i++)
    weft__stack_put(&cache, &pool, &s[i]);
  CHECK(weft__stack_lookup(s[5].lo - 1, &in_guard, &owner, &size));
  CHECK(owner == NULL); /* free stacks have no owner */

  /* Reuse: the next get comes from the cache, warm. */
  weft__stack again;
  CHECK_EQ(weft__stack_get(&cache, &pool, 32 * 1024, NULL, &again), 0);
  CHECK(again.lo == s[N - 1].lo);
  CHECK(weft__stack_canary_ok(&pool, &again));
  weft__stack_put(&cache, &pool, &again);

  weft__stack_cache_flush(&cache, &pool);
  weft__stack_pool_fini(&pool);

  /* The canary fallback, for kernels without MADV_GUARD_INSTALL: forced
   * here by a pool that believes guards are missing. */
  static weft__stack_pool old_kernel;
  static weft__stack_cache old_cache;
  CHECK_EQ(weft__stack_pool_init(&old_kernel), 0);
  old_kernel.guards = false;
  weft__stack_cache_init(&old_cache);
  weft__stack cs;
  CHECK_EQ(weft__stack_get(&old_cache, &old_kernel, 16 * 1024, NULL, &cs), 0);
  CHECK(weft__stack_canary_ok(&old_kernel, &cs));
  memset(cs.lo, 0, 64); /* an overflow reaching the bottom */
  CHECK(!weft__stack_canary_ok(&old_kernel, &cs));
  weft__stack_put(&old_cache, &old_kernel, &cs);
  weft__stack_cache_flush(&old_cache, &old_kernel);
  weft__stack_pool_fini(&old_kernel);
  decay_test();
  fprintf(stderr, "stack: all passed (guards: %s)\n",
          pool.guards ? "MADV_GUARD_INSTALL" : "canaries");
  return 0;
}
