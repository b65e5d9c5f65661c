/* rt/alloc.c: jemalloc through its explicit API, or libc under sanitizers. */
#include "rt/alloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void weft__prefault(void *p, size_t size) {
  (void)p;
  (void)size;
}

#else

#include <jemalloc/jemalloc.h>

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

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE                                                    \
  23 /* Linux 5.14's value, absent from older headers */
#endif

void weft__prefault(void *p, size_t size) {
  /* Set once the kernel refuses the advice: later calls cost a load. */
  static int unsupported;
  const uintptr_t page = 4096;
  if (size < 2 * page || __atomic_load_n(&unsupported, __ATOMIC_RELAXED))
    return;
  /* Outward to whole pages: the pages at the edges hold part of the span,
   * so they are mapped, and populating keeps what other objects there
   * hold. */
  uintptr_t lo = (uintptr_t)p & ~(page - 1);
  uintptr_t hi = ((uintptr_t)p + size + page - 1) & ~(page - 1);
  if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
    __atomic_store_n(&unsupported, 1, __ATOMIC_RELAXED);
}

#endif
