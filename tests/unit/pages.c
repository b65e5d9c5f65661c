/* rt/pages.c: advice on scattered page ranges in one call. Populated pages
 * are resident before anything writes them (mincore), their neighbours are
 * not; a batch holding an unmapped range reports the error and still
 * advises the mapped ones (the per-range fallback); more ranges than one
 * call takes is refused. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "rt/pages.h"

static bool resident(char *p) {
  unsigned char v = 0;
  CHECK_EQ(mincore(p, 4096, &v), 0);
  return v & 1;
}

int main(void) {
  enum { N = 64, STRIDE = 3 }; /* every third page of N * 3 */
  size_t len = (size_t)N * STRIDE * 4096;
  char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(b != MAP_FAILED);
  struct iovec v[N];
  for (int i = 0; i < N; i++)
    v[i] = (struct iovec){.iov_base = b + (size_t)i * STRIDE * 4096,
                          .iov_len = 4096};
  CHECK(!resident(b));
  CHECK_EQ(weft__pages_advise(v, N, MADV_POPULATE_WRITE), 0);
  for (int i = 0; i < N; i++) {
    CHECK(resident(b + (size_t)i * STRIDE * 4096));
    CHECK(!resident(b + ((size_t)i * STRIDE + 1) * 4096));
  }
  /* Idempotent: advised again, still 0 and the contents kept. */
  b[0] = 42;
  CHECK_EQ(weft__pages_advise(v, N, MADV_POPULATE_WRITE), 0);
  CHECK_EQ(b[0], 42);

  /* An unmapped range among mapped ones: an error, the rest advised. */
  char *hole = b + 4096;
  CHECK_EQ(munmap(hole, 4096), 0);
  struct iovec mixed[2] = {{.iov_base = hole, .iov_len = 4096},
                           {.iov_base = b + 2 * 4096, .iov_len = 4096}};
  CHECK(!resident(b + 2 * 4096));
  CHECK(weft__pages_advise(mixed, 2, MADV_POPULATE_WRITE) < 0);
  CHECK(resident(b + 2 * 4096));

  CHECK_EQ(weft__pages_advise(v, WEFT__PAGES_BATCH + 1, MADV_POPULATE_WRITE),
           -EINVAL);
  CHECK_EQ(weft__pages_advise(v, 0, MADV_POPULATE_WRITE), 0);
  munmap(b, len);
  fprintf(stderr, "pages: all passed\n");
  return 0;
}
