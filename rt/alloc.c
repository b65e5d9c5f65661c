/*
 * rt/alloc.c: jemalloc through its explicit API, or libc under sanitizers.
 *
 * Task objects have an arena of their own. Why: a burst of tasks that are
 * alive at once (a spawner that runs ahead of the workers; 100,000
 * sleepers) writes to one fresh 272-byte object after another, and each
 * fresh 4 KiB page traps on its first write: 12-25 us a page on this
 * project's VM (nested virtualisation, whose shadow page tables make even
 * a page filled by MADV_POPULATE_WRITE trap again on first use), a
 * microsecond or more per task (bench/findings-timers.md). A 2 MiB
 * transparent huge page takes one fault for 7,710 objects. How: the
 * arena's extent hooks are jemalloc's defaults but for `alloc`, which maps
 * each run jemalloc asks for at a 2 MiB boundary and advises
 * MADV_HUGEPAGE, so the kernel can back it with huge pages when it has
 * them (THP "madvise" or "always"; with "never" these are ordinary pages,
 * as before). jemalloc still caches, reuses and purges the arena's memory
 * as its own (dirty pages decay back to the kernel); the alloc hook maps
 * memory itself rather than calling the default hook, which may not run
 * for an arena being created (jemalloc issue 2546). If the arena cannot be
 * made, task objects come from the default arenas.
 */
#include "rt/alloc.h"

#include <stdlib.h>
#include <string.h>

#if defined(WEFT_SANITIZER)

void *weft__alloc(size_t size) { return malloc(size); }
void *weft__calloc(size_t size) { return calloc(1, size); }
void weft__free(void *p, size_t size) {
  (void)size;
  free(p);
}
void *weft__realloc(void *p, size_t old_size, size_t new_size) {
  (void)old_size;
  return realloc(p, new_size);
}

void *weft__alloc_task(size_t size) { return malloc(size); }
void weft__free_task(void *p, size_t size) {
  (void)size;
  free(p);
}
int weft__task_arena(void) { return -1; }

#else

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include <jemalloc/jemalloc.h>

#include "rt/atomic.h"
#include "rt/common.h"

void *weft__alloc(size_t size) { return mallocx(size ? size : 1, 0); }
void *weft__calloc(size_t size) {
  return mallocx(size ? size : 1, MALLOCX_ZERO);
}
void weft__free(void *p, size_t size) {
  if (p)
    sdallocx(p, size ? size : 1, 0);
}
void *weft__realloc(void *p, size_t old_size, size_t new_size) {
  (void)old_size;
  if (!p)
    return weft__alloc(new_size);
  return rallocx(p, new_size ? new_size : 1, 0);
}

#define HUGE ((size_t)2 << 20)

static extent_hooks_t task_hooks;
static pthread_once_t task_once = PTHREAD_ONCE_INIT;
static int task_arena = -1;
static int task_flags; /* MALLOCX_ARENA(task_arena), or 0 */

/* The arena's alloc hook: size bytes at a 2 MiB boundary (or at the
 * alignment asked, if larger), advised MADV_HUGEPAGE. A request for a
 * given address (jemalloc growing a run in place) is declined. */
static void *task_extent_alloc(extent_hooks_t *hooks, void *new_addr,
                               size_t size, size_t alignment, bool *zero,
                               bool *commit, unsigned arena_ind) {
  (void)hooks;
  (void)arena_ind;
  if (new_addr || size == 0)
    return NULL;
  size_t align = alignment > HUGE ? alignment : HUGE;
  size_t span = size + align;
  if (span < size)
    return NULL;
  char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
  if (a > p)
    munmap(p, (size_t)(a - p));
  size_t tail = (size_t)(p + span - (a + size));
  if (tail)
    munmap(a + size, tail);
  (void)madvise(a, size, MADV_HUGEPAGE); /* a hint: fails without THP */
  *zero = true;
  *commit = true;
  return a;
}

static void task_arena_init(void) {
  extent_hooks_t *def;
  size_t sz = sizeof(extent_hooks_t *); /* a pointer is what is read */
  if (mallctl("arena.0.extent_hooks", &def, &sz, NULL, 0) != 0 || !def)
    return;
  task_hooks = *def;
  task_hooks.alloc = task_extent_alloc;
  extent_hooks_t *mine = &task_hooks;
  unsigned ind;
  sz = sizeof ind;
  if (mallctl("arenas.create", &ind, &sz, &mine, sizeof(extent_hooks_t *)) != 0)
    return;
  /* jemalloc grows an arena by ever larger runs (2, 2.5, 3 MiB, ...);
   * a run's part past its last 2 MiB boundary gets no huge page. Runs of
   * exactly 2 MiB are one huge page each. */
  char name[64];
  size_t limit = HUGE;
  snprintf(name, sizeof name, "arena.%u.retain_grow_limit", ind);
  (void)mallctl(name, NULL, NULL, &limit, sizeof limit);
  task_arena = (int)ind;
  task_flags = MALLOCX_ARENA(ind);
}

/* Set once the arena is set up (pthread_once ran): then an allocation
 * costs one acquire load (pairs with the release store) before mallocx. */
static int task_ready;

void *weft__alloc_task(size_t size) {
  if (WEFT_UNLIKELY(!weft__load_acquire(&task_ready))) {
    pthread_once(&task_once, task_arena_init);
    weft__store_release(&task_ready, 1);
  }
  return mallocx(size ? size : 1, task_flags);
}

void weft__free_task(void *p, size_t size) {
  if (p)
    sdallocx(p, size ? size : 1, 0);
}

int weft__task_arena(void) {
  pthread_once(&task_once, task_arena_init);
  return task_arena;
}

#endif
