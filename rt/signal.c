/*
 * rt/signal.c: signals for tasks (asyncio's add_signal_handler; DESIGN 6).
 *
 * The handled signals are blocked in the thread that starts the runtime
 * before it makes any thread, so every runtime thread inherits the mask and
 * the kernel keeps them pending for the signalfd. One thread polls the
 * signalfd and an eventfd (its stop request). For each signal read:
 *  - SIGINT under the default policy: the first one records sigint_stop
 *    and cancels the main task (asyncio.run's Ctrl-C: the shutdown then
 *    cancels every task, DESIGN 4.4); the second one restores SIGINT's
 *    default action and raises it, ending the process.
 *  - any other: the signal's count goes up under its wait queue's lock and
 *    one waiter is woken with status 1 ("look again"). A waiter consumes
 *    one count in its ready check, under the same lock (rt/waitq.h), so an
 *    arrival is consumed by exactly one weft_signal_wait, and a waiter that
 *    is cancelled consumed none.
 */
#include "rt/signal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "rt/worker.h"
#include "weft/exec.h"

#define NSIGS 64

typedef struct weft__signals {
  struct weft__runtime *rt;
  int sfd, efd;
  sigset_t set;
  sigset_t old_mask; /* the opening thread's */
  bool restore;      /* weft_run: restore old_mask at close */
  bool sigint_shutdown;
  bool started;
  pthread_t thread;
  weft__waitq q[NSIGS];
  uint32_t count[NSIGS]; /* arrivals not consumed: under q[signo]'s lock */
} weft__signals;

static bool handleable(int s) {
  return s > 0 && s < NSIGS && s != SIGKILL && s != SIGSTOP && s != SIGSEGV &&
         s != SIGBUS && s != SIGILL && s != SIGFPE && s != SIGTRAP;
}

int weft__signals_open(weft__runtime *rt, bool run) {
  uint64_t mask = rt->cfg.signals;
  for (int s = 0; s < 64; s++)
    if ((mask >> s & 1) && !handleable(s))
      return -EINVAL;
  bool sigint = run && !rt->cfg.keep_sigint && !(mask & WEFT_SIGNAL(SIGINT));
  if (sigint)
    mask |= WEFT_SIGNAL(SIGINT);
  if (!mask)
    return 0;
  weft__signals *g = weft__calloc(sizeof *g);
  if (!g)
    return -ENOMEM;
  g->rt = rt;
  g->sigint_shutdown = sigint;
  g->restore = run;
  sigemptyset(&g->set);
  for (int s = 1; s < NSIGS; s++) {
    weft__waitq_init(&g->q[s]);
    if (mask >> s & 1)
      sigaddset(&g->set, s);
  }
  g->sfd = signalfd(-1, &g->set, SFD_CLOEXEC);
  int err = g->sfd < 0 ? -errno : 0;
  g->efd = err ? -1 : eventfd(0, EFD_CLOEXEC);
  if (!err && g->efd < 0)
    err = -errno;
  if (err) {
    if (g->sfd >= 0)
      close(g->sfd);
    weft__free(g, sizeof *g);
    return err;
  }
  pthread_sigmask(SIG_BLOCK, &g->set, &g->old_mask);
  rt->signals = g;
  return 0;
}

static void on_signal(weft__signals *g, int s) {
  if (s == SIGINT && g->sigint_shutdown) {
    if (weft__exchange(&g->rt->sigint_stop, 1u) == 0) {
      static const char msg[] =
          "weft: SIGINT: cancelling the main task and shutting down\n";
      ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
      (void)r;
      if (g->rt->main)
        weft_cancel(g->rt->main);
      else { /* a runtime without a main task: as weft_runtime_free asks */
        weft__store_release(&g->rt->stop_requested, 1u);
        for (int i = 0; i < g->rt->nworkers; i++)
          weft__driver_wake(g->rt->workers[i].driver);
      }
      return;
    }
    /* A second Ctrl-C: asyncio's KeyboardInterrupt. */
    signal(SIGINT, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(SIGINT);
    return;
  }
  weft__waitq_lock(&g->q[s]);
  g->count[s]++;
  weft__waitq_unlock(&g->q[s]);
  weft__waitq_wake_one(&g->q[s], 1, NULL);
}

static void *signal_thread(void *arg) {
  weft__signals *g = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = g->sfd, .events = POLLIN},
                          {.fd = g->efd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0)
      continue; /* EINTR */
    if (p[1].revents)
      break;
    struct signalfd_siginfo si;
    if (read(g->sfd, &si, sizeof si) == (ssize_t)sizeof si)
      on_signal(g, (int)si.ssi_signo);
  }
  return NULL;
}

int weft__signals_start(weft__runtime *rt) {
  weft__signals *g = rt->signals;
  if (!g)
    return 0;
  int err = pthread_create(&g->thread, NULL, signal_thread, g);
  if (err)
    return -err;
  g->started = true;
  return 0;
}

void weft__signals_close(weft__runtime *rt) {
  weft__signals *g = rt->signals;
  if (!g)
    return;
  rt->signals = NULL;
  if (g->started) {
    uint64_t one = 1;
    ssize_t r = write(g->efd, &one, sizeof one);
    (void)r;
    pthread_join(g->thread, NULL);
  }
  if (g->restore) {
    /* Consume what arrived after the thread stopped: unblocking it now
     * would run its default action. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&g->set, NULL, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
  }
  close(g->sfd);
  close(g->efd);
  weft__free(g, sizeof *g);
}

/* ---- the task side ---- */

typedef struct sigwait_ctx {
  weft__signals *g;
  int signo;
} sigwait_ctx;

static bool take_one(void *ctx) { /* under q[signo]'s lock */
  sigwait_ctx *c = ctx;
  if (c->g->count[c->signo] == 0)
    return false;
  c->g->count[c->signo]--;
  return true;
}

int weft_signal_wait(int signo, int64_t deadline) {
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__signals *g = self->rt->signals;
  if (signo <= 0 || signo >= NSIGS || !g ||
      !(self->rt->cfg.signals & WEFT_SIGNAL(signo)))
    return -EINVAL;
  sigwait_ctx c = {.g = g, .signo = signo};
  WEFT__WAIT_SET(self, "signal", WEFT__WAIT_COUNT, signo);
  int rc;
  do /* status 1: an arrival was counted; look again */
    rc = weft__waitq_block(&g->q[signo], take_one, &c, deadline);
  while (rc == 1);
  WEFT__WAIT_CLEAR(self);
  return rc;
}
