/*
 * rt/pages.c: advice on many page ranges in one system call.
 *
 * Why: the first write to a fresh page traps into the kernel, and on this
 * project's VM (nested virtualisation) a trap costs 12-16 us, where a
 * madvise(MADV_POPULATE_WRITE) fills the page tables of a range for
 * 0.6-1.2 us a page without trapping per page (bench/findings-timers.md).
 * On this VM the first write to a populated page still traps once (its
 * shadow page tables), for about half the cost: 6-8 us against 13-14
 * (bench/experiments/first_touch.c); on other machines it does not.
 * A stack slab's guard pages and the first pages of the stacks a worker is
 * about to use are scattered (one per stack), so one madvise each would be
 * one system call per stack; process_madvise(2) takes them all at once.
 *
 * How: process_madvise on a pidfd of this process, opened and closed around
 * the call (a cached one would name the parent in a forked child). Linux
 * 6.13 and later accept every advice when the target is the caller itself;
 * older kernels refuse (EINVAL) advice other than a few reclaim hints, and
 * kernels before 5.10 have no process_madvise (ENOSYS). On any failure, or
 * a partial result, every range is advised again with its own madvise:
 * the advice this takes is idempotent (rt/pages.h), so a range advised
 * twice is no harm, and the result is the fallback's.
 */
#include "rt/pages.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt/common.h"

WEFT_NOINLINE static long process_madvise_self(const struct iovec *v, size_t n,
                                               int advice) {
#if defined(SYS_pidfd_open) && defined(SYS_process_madvise)
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  if (fd < 0)
    return -errno;
  long r = syscall(SYS_process_madvise, (int)fd, v, n, advice, 0u);
  if (r < 0)
    r = -errno;
  close((int)fd);
  return r;
#else
  (void)v;
  (void)n;
  (void)advice;
  return -ENOSYS;
#endif
}

WEFT_NOINLINE static int madvise_one(void *p, size_t len, int advice) {
  return madvise(p, len, advice) == 0 ? 0 : -errno;
}

int weft__pages_advise(const struct iovec *v, size_t n, int advice) {
  if (n == 0)
    return 0;
  if (n > WEFT__PAGES_BATCH)
    return -EINVAL;
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += v[i].iov_len;
  if (process_madvise_self(v, n, advice) == (long)total)
    return 0;
  int err = 0;
  for (size_t i = 0; i < n; i++) {
    int e = madvise_one(v[i].iov_base, v[i].iov_len, advice);
    if (e && !err)
      err = e;
  }
  return err;
}
