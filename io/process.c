/*
 * io/process.c: subprocesses (asyncio.create_subprocess_exec; DESIGN 5, 6).
 *
 * Spawn: pipes made close-on-exec; posix_spawn (glibc: clone with
 * CLONE_VFORK, so an exec failure such as ENOENT comes back as the call's
 * error) with file actions that dup2 the child's ends onto 0, 1 and 2 (dup2
 * clears close-on-exec on the copy only), an empty signal mask and every
 * catchable signal set to its default disposition (POSIX_SPAWN_SETSIGMASK,
 * POSIX_SPAWN_SETSIGDEF): a parent that ignores SIGPIPE or blocks SIGTERM
 * (a weft runtime blocks the signals it handles) must not pass that on.
 * The parent's ends and a pidfd (pidfd_open right after the spawn; the pid
 * cannot be reused before we reap it) are adopted by the calling worker's
 * reactor (weft_io_adopt), so reading, writing and waiting for the exit
 * suspend the task, never a thread.
 *
 * Wait: waitid(P_PIDFD, WNOHANG); if the child still runs, wait for the
 * pidfd to be readable (the kernel's exit notification) and try again. The
 * first successful wait stores the code; the pidfd stays open until
 * weft_process_free, so signals never reach a recycled pid.
 *
 * Free: an unreaped child is killed (SIGKILL through the pidfd) and reaped
 * with a blocking waitid, which returns as soon as the kernel has ended it.
 *
 * The system calls are in noinline wrappers returning -errno from the
 * calling thread (DESIGN 4.3), as io/fd.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/spawn.h"
#include "rt/common.h"
#include "weft/exec.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct weft_process {
  pid_t pid;
  weft_io *pidfd;
  weft_io *in, *out, *err;
  bool reaped;
  int code;
};

WEFT_NOINLINE static int sys_pipe_cloexec(int fds[2]) {
  return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

WEFT_NOINLINE static int sys_pidfd_open(pid_t pid) {
  long r = syscall(SYS_pidfd_open, pid, 0);
  return r < 0 ? -errno : (int)r;
}

WEFT_NOINLINE static int sys_pidfd_signal(int pidfd, int signo) {
  return syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0) == 0 ? 0
                                                                    : -errno;
}

/* waitid on the pidfd: 1 reaped (info filled), 0 still running, or -errno.
 * block: wait for the end (on the pid: the pidfd is non-blocking). */
WEFT_NOINLINE static int sys_reap(const weft_process *p, siginfo_t *info,
                                  bool block) {
  memset(info, 0, sizeof *info);
  int r;
  do
    r = block ? waitid(P_PID, (id_t)p->pid, info, WEXITED)
              : waitid((idtype_t)P_PIDFD, (id_t)weft_io_fd(p->pidfd), info,
                       WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return errno == EAGAIN ? 0 : -errno;
  return info->si_pid != 0;
}

static int code_of(const siginfo_t *info) {
  return info->si_code == CLD_EXITED ? info->si_status : -info->si_status;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Adds the file action for one standard stream; parent/child ends in io[]
 * (io[0] the read end). */
static int stdio_action(posix_spawn_file_actions_t *fa, weft_stdio mode,
                        int target, int io[2]) {
  switch (mode) {
  case WEFT_STDIO_INHERIT:
    return 0;
  case WEFT_STDIO_NULL:
    return -posix_spawn_file_actions_addopen(fa, target, "/dev/null", O_RDWR,
                                             0);
  case WEFT_STDIO_PIPE: {
    int err = sys_pipe_cloexec(io);
    if (err)
      return err;
    int child = target == STDIN_FILENO ? io[0] : io[1];
    return -posix_spawn_file_actions_adddup2(fa, child, target);
  }
  }
  return -EINVAL;
}

int weft__spawn_attr_clean(posix_spawnattr_t *at) {
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  int err = posix_spawnattr_setsigmask(at, &none);
  if (!err)
    err = posix_spawnattr_setsigdefault(at, &all);
  if (!err)
    err = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK |
                                           POSIX_SPAWN_SETSIGDEF);
  return -err;
}

static int adopt(int *fd, weft_io **out) {
  if (*fd < 0)
    return 0;
  int err = weft_io_adopt(*fd, out);
  if (!err)
    *fd = -1; /* the object owns it now */
  return err;
}

int weft_process_spawn(char *const argv[], const weft_process_opts *opts,
                       weft_process **out) {
  if (!argv || !argv[0] || !out)
    return -EINVAL;
  weft_process_opts o = opts ? *opts : (weft_process_opts){0};
  if ((unsigned)o.in > WEFT_STDIO_NULL || (unsigned)o.out > WEFT_STDIO_NULL ||
      (unsigned)o.err > WEFT_STDIO_NULL)
    return -EINVAL;
  if (!weft_self())
    return -EPERM;
  weft_process *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int pidfd = -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  int err = weft__spawn_attr_clean(&at);
  if (!err)
    err = stdio_action(&fa, o.in, STDIN_FILENO, fds[0]);
  if (!err)
    err = stdio_action(&fa, o.out, STDOUT_FILENO, fds[1]);
  if (!err)
    err = stdio_action(&fa, o.err, STDERR_FILENO, fds[2]);
  if (!err) {
    char *const *envp = o.envp ? o.envp : environ;
    err = o.path_search ? posix_spawnp(&p->pid, argv[0], &fa, &at, argv, envp)
                        : posix_spawn(&p->pid, argv[0], &fa, &at, argv, envp);
    err = -err;
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  /* The child's ends: stdin's read end, stdout's and stderr's write ends. */
  close_fd(&fds[0][0]);
  close_fd(&fds[1][1]);
  close_fd(&fds[2][1]);
  bool spawned = !err;
  if (!err) {
    pidfd = sys_pidfd_open(p->pid);
    err = pidfd < 0 ? pidfd : 0;
  }
  if (!err)
    err = adopt(&pidfd, &p->pidfd);
  if (!err)
    err = adopt(&fds[0][1], &p->in);
  if (!err)
    err = adopt(&fds[1][0], &p->out);
  if (!err)
    err = adopt(&fds[2][0], &p->err);
  if (err) {
    close_fd(&fds[0][1]);
    close_fd(&fds[1][0]);
    close_fd(&fds[2][0]);
    close_fd(&pidfd);
    if (spawned && !p->pidfd) { /* no pidfd: end it by pid */
      kill(p->pid, SIGKILL);
      siginfo_t info;
      while (waitid(P_PID, (id_t)p->pid, &info, WEXITED) < 0 &&
             errno == EINTR) {
      }
      p->reaped = true;
    }
    if (spawned)
      weft_process_free(p);
    else
      free(p);
    return err;
  }
  *out = p;
  return 0;
}

weft_io *weft_process_stdin(weft_process *p) { return p ? p->in : NULL; }
weft_io *weft_process_stdout(weft_process *p) { return p ? p->out : NULL; }
weft_io *weft_process_stderr(weft_process *p) { return p ? p->err : NULL; }
pid_t weft_process_pid(const weft_process *p) { return p ? p->pid : -1; }

int weft_process_send_signal(weft_process *p, int signo) {
  if (!p || signo < 0 || signo >= NSIG)
    return -EINVAL;
  if (p->reaped)
    return -ESRCH;
  return sys_pidfd_signal(weft_io_fd(p->pidfd), signo);
}

int weft_process_wait(weft_process *p, int64_t deadline, int *code) {
  if (!p)
    return -EINVAL;
  if (!weft_self())
    return -EPERM;
  while (!p->reaped) {
    siginfo_t info;
    int r = sys_reap(p, &info, false);
    if (r < 0)
      return r;
    if (r > 0) {
      p->code = code_of(&info);
      p->reaped = true;
      break;
    }
    int err = weft_io_wait(p->pidfd, WEFT_IO_READ, deadline);
    if (err)
      return err;
  }
  if (code)
    *code = p->code;
  return 0;
}

void weft_process_free(weft_process *p) {
  if (!p)
    return;
  weft_io_close(p->in);
  weft_io_close(p->out);
  weft_io_close(p->err);
  if (!p->reaped && p->pidfd) {
    sys_pidfd_signal(weft_io_fd(p->pidfd), SIGKILL);
    siginfo_t info;
    sys_reap(p, &info, true);
  }
  weft_io_close(p->pidfd);
  free(p);
}

/* ---- communicate ---- */

typedef struct sink {
  weft_io *io;
  int64_t deadline;
  char *buf;
  size_t len, cap;
} sink;

/* Reads s->io to its end into s->buf (malloc'd, NUL-terminated). */
static int drain(sink *s) {
  for (;;) {
    if (s->cap - s->len < 4096 + 1) {
      size_t cap = s->cap ? s->cap * 2 : 16384;
      char *b = realloc(s->buf, cap);
      if (!b)
        return -ENOMEM;
      s->buf = b;
      s->cap = cap;
    }
    ssize_t n =
        weft_io_read(s->io, s->buf + s->len, s->cap - s->len - 1, s->deadline);
    if (n < 0)
      return (int)n;
    if (n == 0)
      break;
    s->len += (size_t)n;
  }
  s->buf[s->len] = '\0';
  return 0;
}

static int drain_task(void *arg, void **result) {
  (void)result;
  return drain(arg);
}

typedef struct feed {
  weft_process *p;
  const void *data;
  size_t len;
  int64_t deadline;
} feed;

static int feed_task(void *arg, void **result) {
  (void)result;
  feed *f = arg;
  int err =
      f->len ? weft_io_write_all(f->p->in, f->data, f->len, f->deadline, NULL)
             : 0;
  weft_io_close(f->p->in); /* end of file for the child */
  f->p->in = NULL;
  return err == -EPIPE ? 0 : err; /* it stopped reading: not an error */
}

int weft_process_communicate(weft_process *p, const void *in, size_t in_len,
                             char **out, size_t *out_len, char **err,
                             size_t *err_len, int64_t deadline, int *code) {
  if (!p || (in_len && !in))
    return -EINVAL;
  if (!weft_self())
    return -EPERM;
  feed f = {.p = p, .data = in, .len = in_len, .deadline = deadline};
  sink so = {.io = p->out, .deadline = deadline};
  sink se = {.io = p->err, .deadline = deadline};
  weft_task *tin = NULL;
  weft_task *terr = NULL;
  int rc = 0;
  if (p->in)
    rc = weft_spawn(&tin, feed_task, &f);
  if (!rc && p->err)
    rc = weft_spawn(&terr, drain_task, &se);
  int r_out = !rc && p->out ? drain(&so) : 0;
  if (r_out && tin)
    weft_cancel(tin);
  if (r_out && terr)
    weft_cancel(terr);
  /* The sub-tasks use this frame: await them whatever happened. */
  int r_in = tin ? weft_await(tin, NULL) : 0;
  int r_err = terr ? weft_await(terr, NULL) : 0;
  weft_detach(tin);
  weft_detach(terr);
  if (!rc)
    rc = r_out ? r_out : r_in ? r_in : r_err;
  if (!rc)
    rc = weft_process_wait(p, deadline, code);
  if (rc) {
    free(so.buf);
    free(se.buf);
    return rc;
  }
  if (out) {
    *out = so.buf ? so.buf : calloc(1, 1);
    if (out_len)
      *out_len = so.len;
  } else
    free(so.buf);
  if (err) {
    *err = se.buf ? se.buf : calloc(1, 1);
    if (err_len)
      *err_len = se.len;
  } else
    free(se.buf);
  return 0;
}
