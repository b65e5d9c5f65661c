/* rt/guard.c: the stack-overflow report (see rt/guard.h). */
#include "rt/guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt/stack.h"
#include "rt/task.h"

#define ALTSTACK_SIZE ((size_t)64 * 1024)

static struct sigaction old_segv, old_bus;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_err;

static void on_fault(int sig, siginfo_t *si, void *uc) {
  bool in_guard = false;
  void *owner = NULL;
  size_t size = 0;
  if (weft__stack_lookup(si->si_addr, &in_guard, &owner, &size) && in_guard) {
    char what[200];
    char msg[400];
    if (owner)
      weft__task_describe(owner, what, sizeof what);
    else
      snprintf(what, sizeof what, "a task");
    int n = snprintf(msg, sizeof msg,
                     "weft: stack overflow: %s ran past the end of its "
                     "%zu-byte stack (guard page hit at %p). Give it a "
                     "larger stack with weft_spawn_opts.stack_size.\n",
                     what, size, si->si_addr);
    if (n > 0) {
      ssize_t r = write(STDERR_FILENO, msg, (size_t)n);
      (void)r;
    }
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  /* Not ours: restore the previous disposition and let the fault recur. */
  const struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
  if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uc);
    return;
  }
  if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN &&
      old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &old_segv) != 0 ||
      sigaction(SIGBUS, &sa, &old_bus) != 0)
    install_err = -errno;
}

int weft__guard_install(void) {
  pthread_once(&once, install);
  return install_err;
}

int weft__guard_thread_init(void **altstack) {
  void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return -errno;
  stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) {
    int err = -errno;
    munmap(mem, ALTSTACK_SIZE);
    return err;
  }
  *altstack = mem;
  return 0;
}

void weft__guard_thread_fini(void *altstack) {
  if (!altstack)
    return;
  stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
  sigaltstack(&ss, NULL);
  munmap(altstack, ALTSTACK_SIZE);
}
