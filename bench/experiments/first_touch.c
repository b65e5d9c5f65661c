/*
 * bench/experiments/first_touch.c: what the first write to a fresh page
 * costs here, and what prefaulting or huge pages change (bench/findings-
 * timers.md). No weft in it.
 *
 *   gcc -O2 -o first_touch bench/experiments/first_touch.c
 *   ./first_touch MODE      (MODE 0, 1 or 2; run each a few times)
 *
 * 8,192 pages, one at the top of each 68 KiB stride (as a stack slab's
 * 64 KiB stacks and their guards lay them out), in a fresh MAP_NORESERVE
 * mapping:
 *   0  each page written once: one page fault each
 *   1  all faulted in first with process_madvise(MADV_POPULATE_WRITE) over
 *      512 ranges a call (rt/pages.c's way), then each written once
 *   2  8,192 contiguous pages advised MADV_HUGEPAGE, then each written once
 *      (a 2 MiB huge page per 512 pages when the kernel has one)
 * Prints ns per page for the populate step (mode 1), the first writes, and
 * a second write of each page (no fault: the floor).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define N 8192
#define PAGE 4096
#define STRIDE (17 * PAGE)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  int mode = atoi(argv[1]);
  size_t stride = mode == 2 ? PAGE : STRIDE;
  size_t off = mode == 2 ? 0 : STRIDE - PAGE;
  char *b = mmap(NULL, (size_t)N * stride, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (b == MAP_FAILED)
    return 1;
  if (mode == 2 && madvise(b, (size_t)N * PAGE, MADV_HUGEPAGE) != 0)
    perror("madvise(MADV_HUGEPAGE)");
  double t0 = now();
  if (mode == 1) {
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    struct iovec v[512];
    for (int j = 0; j < N; j += 512) {
      for (int k = 0; k < 512; k++)
        v[k] = (struct iovec){b + (size_t)(j + k) * stride + off, PAGE};
      if (syscall(SYS_process_madvise, pfd, v, 512, MADV_POPULATE_WRITE, 0) <
          0) {
        perror("process_madvise");
        return 1;
      }
    }
    close(pfd);
  }
  double t1 = now();
  for (int i = 0; i < N; i++)
    b[(size_t)i * stride + off + 8] = 1;
  double t2 = now();
  for (int i = 0; i < N; i++)
    b[(size_t)i * stride + off + 16] = 2;
  double t3 = now();
  printf("mode %d: populate %.0f, first write %.0f, second write %.0f ns per "
         "page\n",
         mode, (t1 - t0) / N, (t2 - t1) / N, (t3 - t2) / N);
  return 0;
}
