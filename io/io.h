/*
 * io/io.h: the I/O object and what io/'s files share (internal).
 *
 * The readiness protocol (DESIGN 5), in steps:
 *  1. An fd is registered once, when it is opened or adopted, in the epoll
 *     of the worker running the task (its home), edge-triggered for
 *     EPOLLIN|EPOLLOUT|EPOLLRDHUP. Its epoll_data is a tag, the object's slot
 *     index in the home reactor's table and the slot's generation, never a
 *     pointer (io/reactor.c).
 *  2. `state` packs the generation (high 32 bits), a tick bumped by every
 *     event (bits 8-31) and the readiness bits (bits 0-7). The reactor
 *     applies an event with one CAS: only if the generation still matches
 *     the tag, it sets the bits and bumps the tick; then it wakes the
 *     waiters of the direction(s) whose bit the event set (a bit already
 *     set has no waiters: see dispatch in io/reactor.c). HUP (peer hang-up
 *     or error) is sticky: nothing clears it.
 *  3. An operation loads `state` (s0), then makes its system call. On EAGAIN
 *     it clears its readiness bit with a CAS from s0: if an event came since
 *     s0 (the tick moved) the CAS fails and it simply tries the call again,
 *     so an edge is never lost. A stream read that returns fewer bytes than
 *     asked also clears R from s0 (the fd was drained), unless HUP is set,
 *     and the next read then waits before its system call: one EAGAIN read
 *     saved per message.
 *  4. It then waits on the direction's wait queue (rt/waitq.h). Under the
 *     queue's lock it checks the bit once more before it links its waiter;
 *     the reactor bumps `state` before it takes the same lock to wake, so
 *     either the waiter sees the bit or the reactor sees the waiter.
 *  5. Woken (status 0), it goes back to step 3. A wait that ended by the
 *     deadline, a cancellation or a close returns that error; the fd and its
 *     state are untouched, so the object stays usable.
 *
 * The close protocol, and who frees what:
 *  - `refs` counts the owner's reference plus one per operation in
 *    progress, with CLOSED in its top bit. An operation enters by a CAS that
 *    fails once CLOSED is set (-EBADF) and leaves with a fetch-sub.
 *  - Close: 1. set CLOSED; 2. EPOLL_CTL_DEL on the home epoll (from any
 *    thread); 3. bump the generation (a CAS on `state`, which also clears
 *    the bits), so an event read before the DEL finds a stale tag and is
 *    dropped; 4. wake every waiter with -ECANCELED; 5. drop the owner's
 *    reference. Whoever drops the last reference closes the fd and returns
 *    the slot to its reactor's free list. So the fd number is never closed
 *    while an operation may still pass it to a system call, and a slot is
 *    reused only when no task holds the object.
 *  - Slots live in chunks that are freed only with the reactor (at the
 *    runtime's end), so a stale event always dereferences valid memory, and
 *    the wait queues of a slot are initialised once.
 */
#ifndef WEFT_IO_IO_H
#define WEFT_IO_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt/atomic.h"
#include "rt/driver.h"
#include "rt/waitq.h"
#include "weft/io.h"

enum {
  WEFT__IO_R = 1u,   /* readable (or end of stream, or an error) */
  WEFT__IO_W = 2u,   /* writable (or an error) */
  WEFT__IO_HUP = 4u, /* the peer hung up or an error came: never cleared */
};
#define WEFT__IO_TICK_ONE ((uint64_t)1 << 8)
#define WEFT__IO_TICK_MASK ((uint64_t)0xffffff << 8)
#define WEFT__IO_GEN(s) ((uint32_t)((s) >> 32))

#define WEFT__IO_CLOSED 0x80000000u

/* What the fd is (flags): OTHER decides the write call (send with
 * MSG_NOSIGNAL for sockets; write with SIGPIPE blocked for the rest);
 * STREAM says that a read shorter than asked drained the fd (a stream
 * socket, a pipe; not a datagram socket, not a listener). */
enum { WEFT__IO_SOCKET = 0, WEFT__IO_OTHER = 1, WEFT__IO_STREAM = 2 };

struct weft_io {
  uint64_t state;     /* gen | tick | bits (protocol step 2): atomic, CAS */
  uint32_t refs;      /* CLOSED | count: atomic, CAS and fetch-add */
  int fd;             /* written before the object is handed out */
  uint8_t kind;       /* likewise */
  uint32_t slot;      /* index in home's table: fixed for the slot's life */
  uint32_t next_free; /* free-list link: under home's lock */
  weft__driver *home; /* the reactor the fd is registered in */
  weft__waitq rq, wq; /* readers and writers waiting (and acceptors) */
};

/* ---- io/reactor.c ---- */

/* Registers fd with the current worker's reactor in a fresh slot. Returns
 * 0, -EPERM (not on a worker), -ENOMEM or epoll_ctl's error (fd left
 * open). */
int weft__io_register(int fd, int kind, weft_io **out);
/* Close steps 2-4 (the caller did step 1; step 5 is weft__io_leave). */
void weft__io_unregister(weft_io *io);
/* The last reference is gone: closes the fd and frees the slot. */
void weft__io_release(weft_io *io);

/* ---- io/io.c ---- */

/* Enters an operation: -EBADF if closed. Leaves it. */
int weft__io_enter(weft_io *io);
void weft__io_leave(weft_io *io);
/* Steps 3-5 after an EAGAIN seen with state s0: returns 0 to try again, or
 * -ETIMEDOUT, -ECANCELED, -EPERM. */
int weft__io_wait_dir(weft_io *io, uint32_t dir, uint64_t s0, int64_t deadline);
/* Call after an operation completed without suspending: the cooperative
 * budget (DESIGN 3) yields once every WEFT__IO_BUDGET such completions on a
 * worker. */
void weft__io_budget(void);
/* Call when an operation suspended: the budget starts again. */
void weft__io_budget_reset(void);
#define WEFT__IO_BUDGET 128

/* The loop every operation shares: try, and on EAGAIN wait (steps 3-5). */
#define IO_LOOP(io, dir, deadline, call, result)                               \
  do {                                                                         \
    bool waited_ = false;                                                      \
    for (;;) {                                                                 \
      uint64_t s0_ = weft__io_state(io);                                       \
      (result) = (call);                                                       \
      if ((result) != -EAGAIN) {                                               \
        if (!waited_)                                                          \
          weft__io_budget();                                                   \
        break;                                                                 \
      }                                                                        \
      int werr_ = weft__io_wait_dir((io), (dir), s0_, (deadline));             \
      if (werr_) {                                                             \
        (result) = werr_;                                                      \
        break;                                                                 \
      }                                                                        \
      waited_ = true;                                                          \
    }                                                                          \
  } while (0)

static inline uint64_t weft__io_state(const weft_io *io) {
  return weft__load_acquire(&io->state);
}

/* ---- io/fd.c: system calls, each returning -errno from the thread that
 * made it (DESIGN 4.3), EINTR retried. ---- */

ssize_t weft__sys_read(int fd, void *buf, size_t len);
ssize_t weft__sys_write(int fd, const void *buf, size_t len, int kind);
ssize_t weft__sys_writev(int fd, const struct iovec *iov, int n, int kind);
int weft__sys_accept(int fd, struct sockaddr_storage *peer, socklen_t *len);
int weft__sys_socket(int family, int type);
int weft__sys_connect(int fd, const struct sockaddr *a, socklen_t len);
int weft__sys_sock_error(int fd);
int weft__sys_setsockopt_int(int fd, int level, int name, int value);
int weft__sys_bind_listen(int fd, const struct sockaddr *a, socklen_t len,
                          int backlog);
ssize_t weft__sys_sendto(int fd, const void *buf, size_t len,
                         const struct sockaddr *a, socklen_t alen);
ssize_t weft__sys_recvfrom(int fd, void *buf, size_t len,
                           struct sockaddr_storage *from, socklen_t *flen);
int weft__sys_poll1(int fd, short events);
int weft__sys_close(int fd);
int weft__sys_make_async(int fd);
int weft__sys_pipe(int fds[2]);

#endif /* WEFT_IO_IO_H */
