/* The stack pool: size classes, reuse through the cache, spill to the pool,
 * the guard lookup, and the map count staying small. */
#include <string.h>

#include "check.h"
#include "rt/stack.h"

int main(void) {
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
    CHECK_EQ(weft__stack_get(&cache, &pool, 20000, &s[i], &s[i]), 0);
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
  fprintf(stderr, "stack: all passed (guards: %s)\n",
          pool.guards ? "MADV_GUARD_INSTALL" : "canaries");
  return 0;
}
