/*
 * rt/pages.h: one system call for advice on many page ranges (the guard
 * pages of a stack slab, the first pages of stacks about to be used). The
 * reasons and the fallback are at the top of rt/pages.c.
 */
#ifndef WEFT_RT_PAGES_H
#define WEFT_RT_PAGES_H

#include <stddef.h>
#include <sys/uio.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; Debian 12's headers lack it */
#endif

/* The most ranges one call takes (the kernel's UIO_MAXIOV). */
#define WEFT__PAGES_BATCH 1024

/* Gives `advice` (madvise(2)) to the n page-aligned ranges v[0..n) of this
 * process, n at most WEFT__PAGES_BATCH. Only for advice that may be given
 * twice to the same range with the effect of once (MADV_GUARD_INSTALL,
 * MADV_POPULATE_WRITE, MADV_DONTNEED). Returns 0 or the first negative
 * errno of a range. Any thread. */
int weft__pages_advise(const struct iovec *v, size_t n, int advice);

#endif /* WEFT_RT_PAGES_H */
