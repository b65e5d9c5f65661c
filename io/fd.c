/*
 * io/fd.c: the system calls under io/, one wrapper each. A wrapper returns
 * -errno read on the thread that made the call, on the next line (DESIGN
 * 4.3: a task may resume on another thread after any suspension, and glibc's
 * errno address may be cached across calls), retries EINTR in place, and is
 * never inlined into a caller that suspends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "rt/common.h"

#define RETRY(call)                                                            \
  ({                                                                           \
    __typeof__(call) r_;                                                       \
    do                                                                         \
      r_ = (call);                                                             \
    while (r_ < 0 && errno == EINTR);                                          \
    r_ < 0 ? (__typeof__(call))-errno : r_;                                    \
  })

WEFT_NOINLINE ssize_t weft__sys_read(int fd, void *buf, size_t len) {
  return RETRY(read(fd, buf, len));
}

/* A write to a pipe whose reader is gone raises SIGPIPE on the writing
 * thread. Blocked around the call, the signal stays pending on this thread
 * and is taken back here if it was not pending before, so the program's
 * disposition is never run and the caller just sees -EPIPE. */
static ssize_t write_nosigpipe(int fd, const struct iovec *iov, int n) {
  sigset_t pipe_set;
  sigset_t old;
  sigset_t pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t r = RETRY(writev(fd, iov, n));
  if (r == -EPIPE && !was_pending) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return r;
}

WEFT_NOINLINE ssize_t weft__sys_write(int fd, const void *buf, size_t len,
                                      int kind) {
  if (!(kind & WEFT__IO_OTHER))
    return RETRY(send(fd, buf, len, MSG_NOSIGNAL));
  struct iovec v = {(void *)(uintptr_t)buf, len};
  return write_nosigpipe(fd, &v, 1);
}

WEFT_NOINLINE ssize_t weft__sys_writev(int fd, const struct iovec *iov, int n,
                                       int kind) {
  if (kind & WEFT__IO_OTHER)
    return write_nosigpipe(fd, iov, n);
  struct msghdr m = {.msg_iov = (struct iovec *)(uintptr_t)iov,
                     .msg_iovlen = (size_t)n};
  return RETRY(sendmsg(fd, &m, MSG_NOSIGNAL));
}

WEFT_NOINLINE int weft__sys_accept(int fd, struct sockaddr_storage *peer,
                                   socklen_t *len) {
  socklen_t l = sizeof *peer;
  int r = RETRY(
      accept4(fd, (struct sockaddr *)peer, &l, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (r >= 0 && len)
    *len = l;
  return r;
}

WEFT_NOINLINE int weft__sys_socket(int family, int type) {
  int r = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return r < 0 ? -errno : r;
}

/* connect is not restarted after EINTR (the attempt goes on in the
 * kernel): report EINPROGRESS and let the caller wait for writability. */
WEFT_NOINLINE int weft__sys_connect(int fd, const struct sockaddr *a,
                                    socklen_t len) {
  int r = connect(fd, a, len);
  if (r == 0)
    return 0;
  return errno == EINTR ? -EINPROGRESS : -errno;
}

WEFT_NOINLINE int weft__sys_sock_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return -errno;
  return -err;
}

WEFT_NOINLINE int weft__sys_setsockopt_int(int fd, int level, int name,
                                           int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}

WEFT_NOINLINE int weft__sys_bind_listen(int fd, const struct sockaddr *a,
                                        socklen_t len, int backlog) {
  if (bind(fd, a, len) != 0)
    return -errno;
  if (backlog >= 0 && listen(fd, backlog) != 0)
    return -errno;
  return 0;
}

WEFT_NOINLINE ssize_t weft__sys_sendto(int fd, const void *buf, size_t len,
                                       const struct sockaddr *a,
                                       socklen_t alen) {
  return RETRY(sendto(fd, buf, len, MSG_NOSIGNAL, a, alen));
}

WEFT_NOINLINE ssize_t weft__sys_recvfrom(int fd, void *buf, size_t len,
                                         struct sockaddr_storage *from,
                                         socklen_t *flen) {
  socklen_t l = sizeof *from;
  ssize_t r = RETRY(recvfrom(fd, buf, len, 0, (struct sockaddr *)from, &l));
  if (r >= 0 && flen)
    *flen = l;
  return r;
}

/* The fd's level in one direction: 1 ready (or hung up, or an error), 0 not,
 * or a negative error. */
WEFT_NOINLINE int weft__sys_poll1(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  int r = RETRY(poll(&p, 1, 0));
  if (r < 0)
    return r;
  if (p.revents & POLLNVAL)
    return -EBADF;
  return r > 0 && (p.revents & (events | POLLHUP | POLLERR)) ? 1 : 0;
}

/* close is not retried after EINTR: on Linux the fd is gone either way. */
WEFT_NOINLINE int weft__sys_close(int fd) {
  return close(fd) == 0 || errno == EINTR ? 0 : -errno;
}

WEFT_NOINLINE int weft__sys_make_async(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
    return -errno;
  int fdfl = fcntl(fd, F_GETFD);
  if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) != 0)
    return -errno;
  return 0;
}

WEFT_NOINLINE int weft__sys_pipe(int fds[2]) {
  return pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0 ? 0 : -errno;
}
