/*
 * bench/floors/floors.c: the floors beside the peers (issue 8), no weft in
 * them: what the machine itself charges for the steps a runtime is built of.
 *
 *   bench_floors switch|cacheline|eventfd|fault N
 *
 * Prints nanoseconds per operation, one line.
 *
 *   switch     a register-only context switch: two contexts ping-pong
 *              through a 10-instruction switch that saves and restores only
 *              the callee-saved registers and the stack pointer (x86-64 and
 *              aarch64; no signal mask, no FPU control word). Operation: one
 *              switch.
 *   cacheline  a cross-core cache-line round trip: two threads on two
 *              different CPUs (the first two the process may run on) pass a
 *              counter back and forth in one 64-byte line, spinning.
 *              Operation: a round trip (the line moves twice).
 *   eventfd    an eventfd wake round trip: two threads each block in read()
 *              on their own eventfd and write() the other's. Operation: a
 *              round trip (two wakes of a sleeping thread).
 *   fault      a page fault: the first touch of each of N fresh anonymous
 *              4 KiB pages (what a task's stack costs when its pages were
 *              given back; on a VM the host may take its share). Operation:
 *              a page.
 *
 * The fourth floor, a plain single-threaded epoll echo server, is
 * bench/net/echo_floor.c. Exit 3 ("n/a") where a floor cannot run here (an
 * unknown architecture for switch, a single CPU for cacheline).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* ---- switch ---------------------------------------------------------------
 * floor_switch(&save_sp, next_sp): pushes the callee-saved registers on the
 * current stack, stores the stack pointer in *save_sp, loads next_sp, pops
 * the other context's registers and returns into it. */
#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_SWITCH 1
void floor_switch(void **save_sp, void *next_sp);
#if defined(__x86_64__)
__asm__(".text\n.globl floor_switch\n.type floor_switch,@function\n"
        "floor_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n"
        "  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n"
        "  popq %rbx\n  popq %rbp\n  ret\n"
        ".size floor_switch, .-floor_switch\n");
#else
__asm__(".text\n.globl floor_switch\n.type floor_switch,%function\n"
        "floor_switch:\n"
        "  sub sp, sp, #176\n"
        "  stp x19, x20, [sp, #0]\n  stp x21, x22, [sp, #16]\n"
        "  stp x23, x24, [sp, #32]\n  stp x25, x26, [sp, #48]\n"
        "  stp x27, x28, [sp, #64]\n  stp x29, x30, [sp, #80]\n"
        "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n"
        "  stp d12, d13, [sp, #128]\n  stp d14, d15, [sp, #144]\n"
        "  mov x9, sp\n  str x9, [x0]\n  mov sp, x1\n"
        "  ldp x19, x20, [sp, #0]\n  ldp x21, x22, [sp, #16]\n"
        "  ldp x23, x24, [sp, #32]\n  ldp x25, x26, [sp, #48]\n"
        "  ldp x27, x28, [sp, #64]\n  ldp x29, x30, [sp, #80]\n"
        "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n"
        "  ldp d12, d13, [sp, #128]\n  ldp d14, d15, [sp, #144]\n"
        "  add sp, sp, #176\n  ret\n"
        ".size floor_switch, .-floor_switch\n");
#endif

static void *main_sp, *other_sp;

/* The other context: switches back at once, forever. */
static void other_entry(void) {
  for (;;)
    floor_switch(&other_sp, main_sp);
}

static void start_other(void *stack, size_t size) {
  uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
  void **sp = (void **)top;
#if defined(__x86_64__)
  *--sp = NULL;                /* alignment: entry sees rsp % 16 == 8 */
  *--sp = (void *)other_entry; /* ret target */
  for (int i = 0; i < 6; i++)  /* rbp rbx r12-r15 */
    *--sp = NULL;
#else
  sp -= 176 / sizeof(void *);
  memset(sp, 0, 176);
  sp[11] = (void *)other_entry; /* x30, the link register */
#endif
  other_sp = sp;
}

static double run_switch(uint64_t n) {
  size_t size = 64 * 1024;
  void *stack = aligned_alloc(64, size);
  if (!stack)
    die("aligned_alloc");
  start_other(stack, size);
  for (int i = 0; i < 1000; i++) /* warm-up */
    floor_switch(&main_sp, other_sp);
  int64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++)
    floor_switch(&main_sp, other_sp); /* two switches: there and back */
  int64_t t1 = now_ns();
  free(stack); /* the other context is parked in its loop */
  return (double)(t1 - t0) / (double)(2 * n);
}
#else
#define HAVE_SWITCH 0
#endif

/* ---- two threads on two CPUs ------------------------------------------- */

static int cpus[2];

static int two_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set))
    die("sched_getaffinity");
  int k = 0;
  for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
    if (CPU_ISSET(c, &set))
      cpus[k++] = c;
  return k == 2;
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set))
    die("pthread_setaffinity_np");
}

static _Alignas(64) _Atomic uint64_t line;
static uint64_t rounds;

static void *cacheline_peer(void *arg) {
  (void)arg;
  pin(cpus[1]);
  for (uint64_t i = 0; i < rounds; i++) {
    uint64_t want = 2 * i + 1;
    while (atomic_load_explicit(&line, memory_order_acquire) != want)
      ;
    atomic_store_explicit(&line, want + 1, memory_order_release);
  }
  return NULL;
}

static double run_cacheline(uint64_t n) {
  rounds = n + 1000; /* the first 1000 warm up */
  pin(cpus[0]);
  pthread_t t;
  if (pthread_create(&t, NULL, cacheline_peer, NULL))
    die("pthread_create");
  int64_t t0 = 0;
  for (uint64_t i = 0; i < rounds; i++) {
    if (i == 1000)
      t0 = now_ns();
    atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 2)
      ;
  }
  int64_t t1 = now_ns();
  pthread_join(t, NULL);
  return (double)(t1 - t0) / (double)n;
}

static int efd[2];

static void efd_read(int fd) {
  uint64_t v;
  if (read(fd, &v, sizeof v) != sizeof v)
    die("read eventfd");
}

static void efd_write(int fd) {
  uint64_t v = 1;
  if (write(fd, &v, sizeof v) != sizeof v)
    die("write eventfd");
}

static void *eventfd_peer(void *arg) {
  (void)arg;
  for (uint64_t i = 0; i < rounds; i++) {
    efd_read(efd[0]);
    efd_write(efd[1]);
  }
  return NULL;
}

static double run_eventfd(uint64_t n) {
  rounds = n + 100;
  for (int i = 0; i < 2; i++)
    if ((efd[i] = eventfd(0, EFD_CLOEXEC)) < 0)
      die("eventfd");
  pthread_t t;
  if (pthread_create(&t, NULL, eventfd_peer, NULL))
    die("pthread_create");
  int64_t t0 = 0;
  for (uint64_t i = 0; i < rounds; i++) {
    if (i == 100)
      t0 = now_ns();
    efd_write(efd[0]);
    efd_read(efd[1]);
  }
  int64_t t1 = now_ns();
  pthread_join(t, NULL);
  close(efd[0]);
  close(efd[1]);
  return (double)(t1 - t0) / (double)n;
}

static double run_fault(uint64_t n) {
  size_t page = 4096;
  volatile char *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    die("mmap");
  int64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++)
    p[i * page] = 1;
  int64_t t1 = now_ns();
  munmap((void *)p, n * page);
  return (double)(t1 - t0) / (double)n;
}

int main(int argc, char **argv) {
  char *end = NULL;
  uint64_t n = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
  if (argc != 3 || *end || n == 0) {
    fprintf(stderr, "usage: %s switch|cacheline|eventfd|fault N\n", argv[0]);
    return 2;
  }
  double ns;
  if (strcmp(argv[1], "switch") == 0) {
#if HAVE_SWITCH
    ns = run_switch(n);
#else
    fprintf(stderr, "n/a: no register-only switch for this architecture\n");
    return 3;
#endif
  } else if (strcmp(argv[1], "cacheline") == 0) {
    if (!two_cpus()) {
      fprintf(stderr, "n/a: the process may run on one CPU only\n");
      return 3;
    }
    ns = run_cacheline(n);
  } else if (strcmp(argv[1], "eventfd") == 0) {
    ns = run_eventfd(n);
  } else if (strcmp(argv[1], "fault") == 0) {
    ns = run_fault(n);
  } else {
    fprintf(stderr, "usage: %s switch|cacheline|eventfd|fault N\n", argv[0]);
    return 2;
  }
  printf("%.3f\n", ns);
  return 0;
}
