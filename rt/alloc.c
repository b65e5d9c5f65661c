/* rt/alloc.c: jemalloc through its explicit API, or libc under sanitizers. */
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

#endif
