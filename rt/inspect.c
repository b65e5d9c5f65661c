/*
 * rt/inspect.c: the inspector thread, which answers the two ways of looking
 * into a running program from outside: SIGQUIT (the task dump on stderr)
 * and the weft-top socket.
 *
 * SIGQUIT: the handler may run on any thread, at any moment, even inside
 * the registry lock, so it does nothing but write a byte to the pipe of
 * each runtime that asked (a fixed table of descriptors, atomic loads:
 * async-signal-safe); the inspector thread reads the byte and dumps. The
 * handler is installed when the first such runtime starts and the previous
 * disposition restored when the last one ends (under a mutex).
 *
 * The socket: a Unix stream socket at the configured path. A client
 * connects and writes one command line; the inspector answers and closes:
 *   stats  the counters as text (rt/stats.c, weft__stats_snapshot)
 *   tasks  the task dump
 * One client at a time, each with a 1 s deadline to send its line, so a
 * stuck client delays the next by at most that. The thread leaves when
 * its pipe reads 'x' (weft__inspect_stop).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rt/alloc.h"
#include "rt/obs.h"

#define MAX_SIGQUIT 32

typedef struct weft__inspector {
  weft__runtime *rt;
  pthread_t thread;
  int pipe[2];   /* [0] the thread reads: 'q' dump, 'x' leave */
  int listen_fd; /* the socket, or -1 */
  int slot;      /* in sigquit_fds, or -1 */
} weft__inspector;

/* ---- SIGQUIT ------------------------------------------------------------ */

static int sigquit_fds[MAX_SIGQUIT]; /* write ends, 0 = free: atomic */
static int sigquit_users;            /* under sigquit_lock */
static struct sigaction sigquit_old; /* under sigquit_lock */
static pthread_mutex_t sigquit_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_sigquit(int sig) {
  (void)sig;
  int saved = errno;
  for (int i = 0; i < MAX_SIGQUIT; i++) {
    int fd = weft__load_relaxed(&sigquit_fds[i]);
    if (fd > 0) {
      ssize_t r = write(fd, "q", 1);
      (void)r; /* a full pipe already holds a request */
    }
  }
  errno = saved;
}

static int sigquit_add(int fd) {
  pthread_mutex_lock(&sigquit_lock);
  int slot = -1;
  for (int i = 0; i < MAX_SIGQUIT && slot < 0; i++)
    if (!sigquit_fds[i])
      slot = i;
  if (slot >= 0) {
    weft__store_release(&sigquit_fds[slot], fd);
    if (sigquit_users++ == 0) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_sigquit;
      sa.sa_flags = SA_RESTART;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGQUIT, &sa, &sigquit_old);
    }
  }
  pthread_mutex_unlock(&sigquit_lock);
  return slot;
}

static void sigquit_remove(int slot) {
  pthread_mutex_lock(&sigquit_lock);
  weft__store_release(&sigquit_fds[slot], 0);
  if (--sigquit_users == 0)
    sigaction(SIGQUIT, &sigquit_old, NULL);
  pthread_mutex_unlock(&sigquit_lock);
}

/* ---- the socket --------------------------------------------------------- */

static int listen_at(const char *path) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof a.sun_path)
    return -ENAMETOOLONG;
  memcpy(a.sun_path, path, len + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  unlink(path); /* a socket left by an earlier run */
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

/* Reads the command line (1 s deadline), answers, closes. */
static void serve(weft__runtime *rt, int fd) {
  char line[64];
  size_t n = 0;
  int64_t deadline = weft_now_ns() + 1000000000;
  while (n < sizeof line - 1 && !memchr(line, '\n', n)) {
    int64_t left = (deadline - weft_now_ns()) / 1000000;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t r = read(fd, line + n, sizeof line - 1 - n);
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  line[n] = '\0';
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f) {
    if (strncmp(line, "stats", 5) == 0)
      weft__stats_snapshot(rt, f);
    else if (strncmp(line, "tasks", 5) == 0)
      weft__dump_tasks(rt, f);
    else
      fprintf(f, "error: unknown command (try \"stats\" or \"tasks\")\n");
    if (fclose(f) == 0) {
      int fl = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, fl & ~O_NONBLOCK); /* write it all */
      for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
          break;
        off += (size_t)w;
      }
    }
    free(buf);
  }
  close(fd);
}

/* ---- the thread --------------------------------------------------------- */

static void *inspector_main(void *arg) {
  weft__inspector *in = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = in->pipe[0], .events = POLLIN},
                          {.fd = in->listen_fd, .events = POLLIN}};
    if (poll(p, in->listen_fd >= 0 ? 2 : 1, -1) < 0)
      continue; /* EINTR */
    if (p[0].revents) {
      char c[16];
      ssize_t r = read(in->pipe[0], c, sizeof c);
      bool leave = false, dump = false;
      for (ssize_t i = 0; i < r; i++) {
        leave |= c[i] == 'x';
        dump |= c[i] == 'q';
      }
      if (dump) {
        fflush(stderr);
        weft_dump_tasks((weft_runtime *)in->rt, STDERR_FILENO);
      }
      if (leave)
        break;
    }
    if (in->listen_fd >= 0 && p[1].revents) {
      int c = accept4(in->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c >= 0)
        serve(in->rt, c);
    }
  }
  return NULL;
}

int weft__inspect_start(weft__runtime *rt) {
  weft__obs *o = rt->obs;
  weft__inspector *in = weft__calloc(sizeof *in);
  if (!in)
    return -ENOMEM;
  in->rt = rt;
  in->listen_fd = -1;
  in->slot = -1;
  int err = 0;
  if (pipe2(in->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    err = -errno;
    weft__free(in, sizeof *in);
    return err;
  }
  if (o->top_path && (in->listen_fd = listen_at(o->top_path)) < 0) {
    err = in->listen_fd;
    fprintf(stderr, "weft: cannot open the weft-top socket %s (%s)\n",
            o->top_path, weft_strerror(err));
    goto fail;
  }
  if (o->dump_on_sigquit && (in->slot = sigquit_add(in->pipe[1])) < 0) {
    err = -EMFILE;
    goto fail;
  }
  if ((err = -pthread_create(&in->thread, NULL, inspector_main, in)))
    goto fail;
  o->insp = in;
  return 0;
fail:
  if (in->slot >= 0)
    sigquit_remove(in->slot);
  if (in->listen_fd >= 0 && o->top_path) {
    close(in->listen_fd);
    unlink(o->top_path);
  }
  close(in->pipe[0]);
  close(in->pipe[1]);
  weft__free(in, sizeof *in);
  return err;
}

void weft__inspect_stop(weft__runtime *rt) {
  weft__inspector *in = rt->obs ? rt->obs->insp : NULL;
  if (!in)
    return;
  if (in->slot >= 0)
    sigquit_remove(in->slot);
  ssize_t r = write(in->pipe[1], "x", 1);
  (void)r;
  pthread_join(in->thread, NULL);
  if (in->listen_fd >= 0) {
    close(in->listen_fd);
    unlink(rt->obs->top_path);
  }
  close(in->pipe[0]);
  close(in->pipe[1]);
  weft__free(in, sizeof *in);
  rt->obs->insp = NULL;
}
