/*
 * io/io.c: the operations every kind of fd shares (read, write, wait,
 * close) over the readiness and close protocols of io/io.h; the steps cited
 * are its steps.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include "io/io.h"
#include "rt/common.h"
#include "rt/task.h"

int weft__io_enter(weft_io *io) {
  uint32_t r = weft__load_relaxed(&io->refs);
  do {
    if (r & WEFT__IO_CLOSED)
      return -EBADF;
  } while (!ck_pr_cas_32_value(&io->refs, r, r + 1, &r));
  return 0;
}

void weft__io_leave(weft_io *io) {
  /* The fetch-add publishes this operation's use of the fd before a
   * release of it by whoever sees the count reach zero. */
  if (ck_pr_faa_32(&io->refs, (uint32_t)-1) == (WEFT__IO_CLOSED | 1u))
    weft__io_release(io);
}

typedef struct ready_ctx {
  weft_io *io;
  uint32_t dir;
  uint32_t gen;
} ready_ctx;

/* Under the queue's lock (step 4): the bit is set again, or the object was
 * closed (the close's wake may already have passed this queue). */
static bool dir_ready(void *arg) {
  ready_ctx *c = arg;
  uint64_t s = weft__io_state(c->io);
  return (s & c->dir) || WEFT__IO_GEN(s) != c->gen;
}

int weft__io_wait_dir(weft_io *io, uint32_t dir, uint64_t s0,
                      int64_t deadline) {
  /* Step 3: clear the bit only if nothing happened since s0. */
  if ((s0 & dir) && !ck_pr_cas_64(&io->state, s0, s0 & ~(uint64_t)dir))
    return 0;
  ready_ctx c = {io, dir, WEFT__IO_GEN(s0)};
  weft__io_budget_reset();
  /* For the task dump: which direction, and the time left if any. */
  weft_task *self = weft_self();
  if (self)
    WEFT__WAIT_SET(self, dir == WEFT__IO_R ? "fd readable" : "fd writable",
                   deadline < 0 ? WEFT__WAIT_PLAIN : WEFT__WAIT_DEADLINE,
                   deadline);
  int st = weft__waitq_block(dir == WEFT__IO_R ? &io->rq : &io->wq, dir_ready,
                             &c, deadline);
  if (self)
    WEFT__WAIT_CLEAR(self);
  if (st == 0 && WEFT__IO_GEN(weft__io_state(io)) != c.gen)
    return -ECANCELED; /* closed while we waited */
  return st;
}

int weft_io_wait(weft_io *io, int events, int64_t deadline) {
  if (!io || (events != WEFT_IO_READ && events != WEFT_IO_WRITE))
    return -EINVAL;
  int err = weft__io_enter(io);
  if (err)
    return err;
  uint32_t dir = events == WEFT_IO_READ ? WEFT__IO_R : WEFT__IO_W;
  short pev = events == WEFT_IO_READ ? POLLIN | POLLRDHUP : POLLOUT;
  for (;;) {
    uint64_t s0 = weft__io_state(io);
    /* The level first: the caller's EAGAIN may predate an edge we saw. */
    err = weft__sys_poll1(io->fd, pev);
    if (err != 0)
      break; /* ready (1), or an error */
    err = weft__io_wait_dir(io, dir, s0, deadline);
    if (err)
      break;
  }
  weft__io_leave(io);
  return err > 0 ? 0 : err;
}

int weft_io_fd(const weft_io *io) {
  if (!io || (weft__load_relaxed(&io->refs) & WEFT__IO_CLOSED))
    return -EBADF;
  return io->fd;
}

int weft_io_close(weft_io *io) {
  if (!io)
    return -EBADF;
  /* Close step 1. */
  uint32_t r = weft__load_relaxed(&io->refs);
  do {
    if (r & WEFT__IO_CLOSED)
      return -EBADF;
  } while (!ck_pr_cas_32_value(&io->refs, r, r | WEFT__IO_CLOSED, &r));
  weft__io_unregister(io); /* steps 2-4 */
  weft__io_leave(io);      /* step 5 */
  return 0;
}

/* A stream's short read (some bytes, fewer than asked) drained it: step
 * 3's clearing, done without the EAGAIN read that would prove it, and the
 * next read waits for an event before its system call. The CAS from s0
 * fails if an event came since the read began, as in step 3. Not after a
 * hang-up (HUP in s0): the end of stream may still be there to read, and
 * no edge would ever announce it again. */
static ssize_t read_stream(weft_io *io, void *buf, size_t len,
                           int64_t deadline) {
  ssize_t r;
  bool waited = false;
  for (;;) {
    uint64_t s0 = weft__io_state(io);
    if (!(s0 & WEFT__IO_R)) { /* drained by the last read: wait first */
      r = weft__io_wait_dir(io, WEFT__IO_R, s0, deadline);
      if (r)
        return r;
      waited = true;
      s0 = weft__io_state(io);
    }
    r = weft__sys_read(io->fd, buf, len);
    if (r > 0 && (size_t)r < len && !(s0 & WEFT__IO_HUP))
      ck_pr_cas_64(&io->state, s0, s0 & ~(uint64_t)WEFT__IO_R);
    if (r != -EAGAIN)
      break;
    r = weft__io_wait_dir(io, WEFT__IO_R, s0, deadline);
    if (r)
      return r;
    waited = true;
  }
  if (!waited)
    weft__io_budget();
  return r;
}

ssize_t weft_io_read(weft_io *io, void *buf, size_t len, int64_t deadline) {
  if (!io || (!buf && len))
    return -EINVAL;
  ssize_t r = weft__io_enter(io);
  if (r)
    return r;
  if (io->kind & WEFT__IO_STREAM)
    r = read_stream(io, buf, len, deadline);
  else
    IO_LOOP(io, WEFT__IO_R, deadline, weft__sys_read(io->fd, buf, len), r);
  weft__io_leave(io);
  return r;
}

ssize_t weft_io_read_exactly(weft_io *io, void *buf, size_t len,
                             int64_t deadline, size_t *got) {
  size_t done = 0;
  ssize_t r = 0;
  if (got)
    *got = 0;
  if (!io || (!buf && len))
    return -EINVAL;
  while (done < len) {
    r = weft_io_read(io, (char *)buf + done, len - done, deadline);
    if (r <= 0)
      break;
    done += (size_t)r;
    if (got)
      *got = done;
  }
  return r < 0 ? r : (ssize_t)done;
}

ssize_t weft_io_write(weft_io *io, const void *buf, size_t len,
                      int64_t deadline) {
  if (!io || (!buf && len))
    return -EINVAL;
  ssize_t r = weft__io_enter(io);
  if (r)
    return r;
  IO_LOOP(io, WEFT__IO_W, deadline, weft__sys_write(io->fd, buf, len, io->kind),
          r);
  weft__io_leave(io);
  return r;
}

int weft_io_write_all(weft_io *io, const void *buf, size_t len,
                      int64_t deadline, size_t *sent) {
  struct iovec v = {(void *)(uintptr_t)buf, len};
  if (!buf && len) {
    if (sent)
      *sent = 0;
    return -EINVAL;
  }
  return weft_io_writev(io, &v, 1, deadline, sent);
}

int weft_io_writev(weft_io *io, const struct iovec *iov, int iovcnt,
                   int64_t deadline, size_t *sent) {
  size_t done = 0;
  if (sent)
    *sent = 0;
  if (!io || iovcnt < 0 || iovcnt > IOV_MAX || (!iov && iovcnt))
    return -EINVAL;
  ssize_t r = weft__io_enter(io);
  if (r)
    return (int)r;
  const struct iovec *v = iov;
  int n = iovcnt;
  while (n > 0) {
    if (v->iov_len == 0) { /* nothing to write in this one */
      v++;
      n--;
      continue;
    }
    IO_LOOP(io, WEFT__IO_W, deadline, weft__sys_writev(io->fd, v, n, io->kind),
            r);
    if (r < 0)
      break;
    done += (size_t)r;
    size_t k = (size_t)r;
    while (n > 0 && k >= v->iov_len) {
      k -= v->iov_len;
      v++;
      n--;
    }
    /* A buffer written in part: its rest with plain writes (iov is the
     * caller's and stays unmodified), then the vector goes on. */
    while (n > 0 && k > 0 && k < v->iov_len) {
      IO_LOOP(io, WEFT__IO_W, deadline,
              weft__sys_write(io->fd, (const char *)v->iov_base + k,
                              v->iov_len - k, io->kind),
              r);
      if (r < 0)
        break;
      done += (size_t)r;
      k += (size_t)r;
    }
    if (r < 0)
      break;
    if (n > 0 && k > 0) {
      v++;
      n--;
    }
  }
  if (sent)
    *sent = done;
  weft__io_leave(io);
  return r < 0 ? (int)r : 0;
}

int weft_io_shutdown(weft_io *io, int how) {
  if (!io)
    return -EBADF;
  int err = weft__io_enter(io);
  if (err)
    return err;
  err = shutdown(io->fd, how) == 0 ? 0 : -errno;
  weft__io_leave(io);
  return err;
}

int weft_io_local_addr(const weft_io *io, struct sockaddr_storage *addr,
                       socklen_t *len) {
  if (!io || !addr)
    return -EINVAL;
  socklen_t l = sizeof *addr;
  int fd = weft_io_fd(io);
  if (fd < 0)
    return fd;
  if (getsockname(fd, (struct sockaddr *)addr, &l) != 0)
    return -errno;
  if (len)
    *len = l;
  return 0;
}
