/*
 * io/procpool.c: the process pool, parent side (weft/exec.h; DESIGN 6).
 * The zygote and the workers are io/zygote.c; the messages io/ppmsg.h.
 *
 * State, under the pool's mutex (never held across a suspension; held
 * across a spawn, which is a fork in the zygote and two small messages):
 * a slot per worker (NULL when missing), each worker idle or busy; the
 * zygote's control socket, pid and pidfd. nidle mirrors the idle count
 * for tasks waiting on freeq (rt/waitq.h: a waiter checks nidle under the
 * queue's lock; a releaser raises nidle, then wakes one).
 *
 * A job, in the calling task:
 *  1. Acquire: heal (an empty slot is filled), then take an idle worker,
 *     or wait on freeq.
 *  2. Send the request on the worker's non-blocking socket (on EAGAIN, a
 *     wait from the state read before the call: io/io.h). A send that
 *     fails (the worker died while idle: its end is closed, so the send
 *     fails at once) delivered nothing: the worker is replaced and the job
 *     goes to another.
 *  3. Wait for the reply (likewise on EAGAIN). End of file or a reset:
 *     the worker died while running the job: it is replaced and the job
 *     fails with -EOWNERDEAD. Cancelled or past the deadline: the worker is
 *     killed (SIGKILL through its pidfd, so never a recycled pid) and
 *     replaced, and the call returns -ECANCELED or -ETIMEDOUT.
 *  4. Reply received: the worker goes back to idle.
 * Spawn: socketpair; the worker's end goes to the zygote, which forks and
 * replies with the pid; pidfd_open(pid). A zygote that does not answer
 * (end of file, reset) is dead: it is killed, reaped and started again,
 * and the spawn retried once.
 * Stop (shutdown step 5): workers killed and waited for through their
 * pidfds (the zygote reaps them: it ignores SIGCHLD), then the zygote's
 * control socket is closed and the zygote killed and reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"
#include "io/ppmsg.h"
#include "io/spawn.h"
#include "rt/atomic.h"
#include "rt/blocking.h"
#include "rt/common.h"
#include "rt/waitq.h"
#include "weft/exec.h"

#define MAX_WORKERS 256
#define ZYGOTE_FD 3

typedef struct ppw {
  weft_io *io;
  int pidfd;
  pid_t pid;
  bool idle;
} ppw;

typedef struct pool {
  pthread_mutex_t lock;
  ppw *slot[MAX_WORKERS];
  int size, live;
  uint32_t nidle; /* idle workers: written under lock, read atomically */
  weft__waitq freeq;
  int zctl, zpidfd;
  pid_t zpid;
  uint64_t *jobs, *restarts; /* the runtime's counters: atomic */
} pool;

WEFT_NOINLINE static int pidfd_open_(pid_t pid) {
  long r = syscall(SYS_pidfd_open, pid, 0);
  return r < 0 ? -errno : (int)r;
}

static void pidfd_kill(int pidfd) {
  if (pidfd >= 0)
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

/* ---- the zygote ---- */

static void zygote_reap(pool *p) {
  if (p->zctl >= 0)
    close(p->zctl);
  p->zctl = -1;
  if (p->zpid > 0) {
    pidfd_kill(p->zpidfd);
    siginfo_t info;
    while (waitid(P_PID, (id_t)p->zpid, &info, WEXITED) < 0 && errno == EINTR) {
    }
  }
  if (p->zpidfd >= 0)
    close(p->zpidfd);
  p->zpidfd = -1;
  p->zpid = 0;
}

WEFT_NOINLINE static int zygote_start(pool *p) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return -errno;
  size_t n = 0;
  while (environ[n])
    n++;
  char **envp = calloc(n + 3, sizeof *envp);
  char fdvar[32];
  char ppvar[48];
  snprintf(fdvar, sizeof fdvar, "WEFT_ZYGOTE_FD=%d", ZYGOTE_FD);
  snprintf(ppvar, sizeof ppvar, "WEFT_ZYGOTE_PPID=%d", (int)getpid());
  int err = envp ? 0 : -ENOMEM;
  if (!err) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (strncmp(environ[i], "WEFT_ZYGOTE_", 12) != 0)
        envp[k++] = environ[i];
    envp[k++] = fdvar;
    envp[k++] = ppvar;
    envp[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, sv[1], ZYGOTE_FD);
    err = weft__spawn_attr_clean(&at);
    char *argv[] = {"weft-zygote", NULL};
    if (!err)
      err = -posix_spawn(&p->zpid, "/proc/self/exe", &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(envp);
  }
  close(sv[1]);
  if (err) {
    close(sv[0]);
    p->zpid = 0;
    return err;
  }
  p->zctl = sv[0];
  int pfd = pidfd_open_(p->zpid);
  p->zpidfd = pfd < 0 ? -1 : pfd;
  return 0;
}

/* Asks the zygote for a worker on sock. Returns its pid or -errno. */
static int zygote_fork(pool *p, int sock) {
  weft__pp_hdr h = {0};
  int err = weft__pp_send(p->zctl, &h, NULL, 0, sock);
  if (err)
    return err;
  struct pollfd pf = {.fd = p->zctl, .events = POLLIN};
  if (poll(&pf, 1, 10000) <= 0)
    return -ETIMEDOUT;
  void *payload;
  int r = weft__pp_recv(p->zctl, &h, &payload, NULL, false);
  free(payload);
  if (r <= 0)
    return r == 0 ? -EPIPE : r;
  return h.code;
}

/* ---- workers (under the lock) ---- */

static void worker_drop(pool *p, int i) {
  ppw *w = p->slot[i];
  p->slot[i] = NULL;
  p->live--;
  if (w->idle)
    weft__store_release(&p->nidle, p->nidle - 1);
  weft_io_close(w->io);
  pidfd_kill(w->pidfd);
  close(w->pidfd);
  free(w);
}

/* Fills slot i. Returns 0 or -errno. */
static int worker_spawn(pool *p, int i, bool replacement) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return -errno;
  int pid = -EPIPE;
  for (int attempt = 0; attempt < 2 && pid < 0; attempt++) {
    if (p->zctl < 0 || attempt > 0) {
      if (p->zpid > 0)
        ck_pr_inc_64(p->restarts); /* the zygote itself is replaced */
      zygote_reap(p);
      int err = zygote_start(p);
      if (err) {
        pid = err;
        break;
      }
    }
    pid = zygote_fork(p, sv[1]);
  }
  close(sv[1]);
  ppw *w = pid > 0 ? calloc(1, sizeof *w) : NULL;
  if (!w) {
    close(sv[0]);
    return pid > 0 ? -ENOMEM : (pid < 0 ? pid : -EIO);
  }
  w->pid = pid;
  w->pidfd = pidfd_open_(pid);
  int err = w->pidfd < 0 ? w->pidfd : weft_io_adopt(sv[0], &w->io);
  if (err) {
    if (w->pidfd >= 0) {
      pidfd_kill(w->pidfd);
      close(w->pidfd);
    }
    free(w);
    close(sv[0]);
    return err;
  }
  w->idle = true;
  p->slot[i] = w;
  p->live++;
  weft__store_release(&p->nidle, p->nidle + 1);
  if (replacement)
    ck_pr_inc_64(p->restarts);
  return 0;
}

/* Fills empty slots. A worker that died while idle is not looked for
 * here (that was a poll of the idle workers' sockets on every job, 2.2 of
 * a round trip's 9.8 syscalls under strace): the job sent to it fails at
 * once, its peer being closed, and weft_procpool_run replaces it and sends
 * the job to another (step 2). */
static void heal(pool *p) {
  for (int i = 0; i < p->size; i++)
    if (!p->slot[i])
      worker_spawn(p, i, true);
}

static bool has_idle(void *ctx) {
  return weft__load_acquire(&((pool *)ctx)->nidle) > 0;
}

/* Step 1. Returns the slot index or a negative code. */
static int acquire(pool *p, int64_t deadline) {
  for (;;) {
    pthread_mutex_lock(&p->lock);
    heal(p);
    for (int i = 0; i < p->size; i++) {
      ppw *w = p->slot[i];
      if (w && w->idle) {
        w->idle = false;
        weft__store_release(&p->nidle, p->nidle - 1);
        pthread_mutex_unlock(&p->lock);
        return i;
      }
    }
    int live = p->live;
    pthread_mutex_unlock(&p->lock);
    if (live == 0)
      return -EAGAIN; /* no worker could be started */
    int err = weft__waitq_block(&p->freeq, has_idle, p, deadline);
    if (err)
      return err;
  }
}

static void release(pool *p, int i) {
  pthread_mutex_lock(&p->lock);
  p->slot[i]->idle = true;
  weft__store_release(&p->nidle, p->nidle + 1);
  pthread_mutex_unlock(&p->lock);
  weft__waitq_wake_one(&p->freeq, 0, NULL);
}

/* The worker in slot i is gone or must go: drop it, start its
 * replacement, and let a waiter look again. */
static void replace(pool *p, int i) {
  pthread_mutex_lock(&p->lock);
  worker_drop(p, i);
  worker_spawn(p, i, true);
  pthread_mutex_unlock(&p->lock);
  weft__waitq_wake_one(&p->freeq, 0, NULL);
}

/* ---- the pool's life ---- */

static void pool_stop(void *arg) {
  pool *p = arg;
  pthread_mutex_lock(&p->lock);
  struct pollfd pf[MAX_WORKERS];
  int n = 0;
  for (int i = 0; i < p->size; i++) {
    ppw *w = p->slot[i];
    if (!w)
      continue;
    pidfd_kill(w->pidfd);
    weft_io_close(w->io);
    pf[n++] = (struct pollfd){.fd = w->pidfd, .events = POLLIN};
  }
  /* A pidfd is readable once its process has ended; the zygote (SIGCHLD
   * ignored) has then reaped it. */
  int64_t until = weft_now_ns() + 2000000000;
  for (int k = 0; k < n; k++)
    while (poll(&pf[k], 1, 10) == 0 && weft_now_ns() < until) {
    }
  for (int i = 0; i < p->size; i++)
    if (p->slot[i]) {
      close(p->slot[i]->pidfd);
      free(p->slot[i]);
      p->slot[i] = NULL;
    }
  zygote_reap(p);
  pthread_mutex_unlock(&p->lock);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static void *pool_create(uint64_t *jobs, uint64_t *restarts, int workers,
                         int *err) {
  if (workers <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    workers = n > 0 ? (int)n : 1;
  }
  if (workers > MAX_WORKERS)
    workers = MAX_WORKERS;
  pool *p = calloc(1, sizeof *p);
  if (!p) {
    *err = -ENOMEM;
    return NULL;
  }
  pthread_mutex_init(&p->lock, NULL);
  weft__waitq_init(&p->freeq);
  p->size = workers;
  p->zctl = p->zpidfd = -1;
  p->jobs = jobs;
  p->restarts = restarts;
  pthread_mutex_lock(&p->lock);
  int e = zygote_start(p);
  for (int i = 0; !e && i < workers; i++)
    e = worker_spawn(p, i, false);
  pthread_mutex_unlock(&p->lock);
  if (e) {
    pool_stop(p);
    *err = e;
    return NULL;
  }
  return p;
}

/* ---- the API ---- */

int weft__job_known(const char *name); /* io/zygote.c */

/* Waits for io to be ready in direction dir after an EAGAIN seen with
 * state s0 (io/io.h, steps 3-5), holding a reference as weft_io_wait does.
 * Returns 0 to try again, or the wait's error. */
static int wait_io(weft_io *io, uint32_t dir, uint64_t s0, int64_t deadline) {
  int err = weft__io_enter(io);
  if (err)
    return err;
  err = weft__io_wait_dir(io, dir, s0, deadline);
  weft__io_leave(io);
  return err;
}

int weft_procpool_run(const char *name, const void *in, size_t in_len,
                      void **out, size_t *out_len, int64_t deadline) {
  if (out)
    *out = NULL;
  if (out_len)
    *out_len = 0;
  if (!name || !*name || strlen(name) >= WEFT__PP_NAME || (in_len && !in))
    return -EINVAL;
  if (!weft_self())
    return -EPERM;
  if (!weft__job_known(name))
    return -ENOENT;
  int err;
  pool *p = weft__procpool_get(pool_create, pool_stop, &err);
  if (!p)
    return err;
  weft__pp_hdr h = {0};
  int i;
  for (;;) { /* steps 1 and 2 */
    i = acquire(p, deadline);
    if (i < 0)
      return i;
    weft_io *io = p->slot[i]->io;
    memset(&h, 0, sizeof h);
    memcpy(h.name, name, strlen(name) + 1); /* checked: < WEFT__PP_NAME */
    for (;;) {
      /* The state before the call: an edge after it is not missed, and no
       * poll of the level is needed (io/io.h, steps 3-5). */
      uint64_t s0 = weft__io_state(io);
      err = weft__pp_send(weft_io_fd(io), &h, in, in_len, -1);
      if (err != -EAGAIN)
        break;
      int werr = wait_io(io, WEFT__IO_W, s0, deadline);
      if (werr) {
        release(p, i); /* nothing was sent */
        return werr;
      }
    }
    if (!err)
      break;
    replace(p, i); /* it died while idle: the job did not run */
    if (err == -ENOMEM || err == -EMFILE || err == -ENFILE)
      return err;
  }
  weft_io *io = p->slot[i]->io; /* step 3 */
  void *payload = NULL;
  int r;
  for (;;) {
    uint64_t s0 = weft__io_state(io);
    r = weft__pp_recv(weft_io_fd(io), &h, &payload, NULL, false);
    if (r != -EAGAIN)
      break;
    int werr = wait_io(io, WEFT__IO_R, s0, deadline);
    if (werr) { /* cancelled, or the deadline: the job's worker goes */
      replace(p, i);
      return werr;
    }
  }
  if (r <= 0) {
    replace(p, i);
    return r == 0 || r == -ECONNRESET ? -EOWNERDEAD : r;
  }
  release(p, i); /* step 4 */
  ck_pr_inc_64(p->jobs);
  if (out)
    *out = payload;
  else
    free(payload);
  if (out_len)
    *out_len = payload ? h.len : 0;
  return h.code;
}

int weft_procpool_info_get(weft_procpool_info *info) {
  if (!info)
    return -EINVAL;
  if (!weft_self())
    return -EPERM;
  int err;
  pool *p = weft__procpool_peek(&err);
  if (!p)
    return err;
  memset(info, 0, sizeof *info);
  pthread_mutex_lock(&p->lock);
  info->size = p->size;
  info->live = p->live;
  info->zygote = p->zpid;
  for (int i = 0, k = 0; i < p->size && k < 64; i++)
    if (p->slot[i])
      info->pids[k++] = p->slot[i]->pid;
  pthread_mutex_unlock(&p->lock);
  return 0;
}
