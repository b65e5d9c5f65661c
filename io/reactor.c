/*
 * io/reactor.c: a worker's epoll reactor, behind the seam rt/driver.h
 * declares (redis's ae_epoll.c, libuv's platform poller), and the table of
 * I/O objects registered in it. The readiness and close protocols are at
 * the top of io/io.h; the steps cited here are its steps.
 *
 * The wake channel: an eventfd registered edge-triggered.
 * weft__driver_wake writes it only when no write is in flight (wake_pending,
 * cleared by the poller after it drained the eventfd): the owner announces
 * that it is idle and re-checks its queues before it polls (rt/idle.h), so
 * either it sees the waker's work or the waker's write wakes the poll.
 * Sub-millisecond timeouts use epoll_pwait2's timespec.
 *
 * The table: slots in chunks of CHUNK objects, a chunk allocated when the
 * free list is empty and published with a release store, freed only when
 * the reactor closes. An event's tag is (generation << 32 | slot); a lookup
 * is two loads and never meets freed memory, so a stale event (an fd closed
 * after epoll_wait returned its event) is dropped by the generation check
 * of step 2 alone, with no lock. The free list is under `lock`: slots are
 * taken by tasks on the owner worker and given back by whichever thread
 * drops an object's last reference.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/common.h"

#define WAKE_TAG UINT64_MAX
#define MAX_EVENTS 128
#define CHUNK_SHIFT 8
#define CHUNK ((uint32_t)1 << CHUNK_SHIFT)
#define MAX_CHUNKS 8192 /* 2M objects per worker */
#define NO_SLOT UINT32_MAX

struct weft__driver {
  int epfd;
  int wakefd;
  uint32_t wake_pending; /* a write to wakefd is in flight: atomic */
  uint32_t sources;      /* registered objects: atomic */
  uint32_t budget;       /* completions without suspending: owner only */
  weft__spinlock lock;   /* guards free_head, nchunks' growth */
  uint32_t free_head;    /* first free slot, or NO_SLOT */
  uint32_t nchunks;      /* chunks allocated: written under lock, atomic */
  weft_io *chunks[MAX_CHUNKS]; /* published with release, read acquire */
};

int weft__driver_open(weft__driver **out) {
  weft__driver *d = weft__calloc(sizeof *d);
  if (!d)
    return -ENOMEM;
  int err = 0;
  d->lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
  d->free_head = NO_SLOT;
  d->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (d->epfd < 0) {
    err = -errno;
    goto fail_alloc;
  }
  d->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (d->wakefd < 0) {
    err = -errno;
    goto fail_ep;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG};
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wakefd, &ev) != 0) {
    err = -errno;
    goto fail_wake;
  }
  *out = d;
  return 0;
fail_wake:
  close(d->wakefd);
fail_ep:
  close(d->epfd);
fail_alloc:
  weft__free(d, sizeof *d);
  return err;
}

/* At the runtime's end: objects still open are closed (no task is left to
 * hold them), then the table goes. */
void weft__driver_close(weft__driver *d) {
  if (!d)
    return;
  for (uint32_t c = 0; c < d->nchunks; c++) {
    for (uint32_t i = 0; i < CHUNK; i++) {
      weft_io *io = &d->chunks[c][i];
      if (io->fd >= 0)
        weft__sys_close(io->fd);
    }
    weft__free(d->chunks[c], CHUNK * sizeof(weft_io));
  }
  close(d->wakefd);
  close(d->epfd);
  weft__free(d, sizeof *d);
}

static weft_io *slot_at(weft__driver *d, uint32_t slot) {
  uint32_t c = slot >> CHUNK_SHIFT;
  if (c >= MAX_CHUNKS)
    return NULL;
  weft_io *chunk = weft__load_acquire(&d->chunks[c]);
  return chunk ? &chunk[slot & (CHUNK - 1)] : NULL;
}

/* Takes a free slot, growing the table by a chunk if there is none. */
static weft_io *slot_take(weft__driver *d) {
  weft__spin_lock(&d->lock);
  if (d->free_head == NO_SLOT) {
    uint32_t c = d->nchunks;
    weft_io *chunk =
        c < MAX_CHUNKS ? weft__calloc(CHUNK * sizeof(weft_io)) : NULL;
    if (!chunk) {
      weft__spin_unlock(&d->lock);
      return NULL;
    }
    for (uint32_t i = 0; i < CHUNK; i++) {
      weft_io *io = &chunk[i];
      io->fd = -1;
      io->home = d;
      io->slot = (c << CHUNK_SHIFT) | i;
      io->next_free = i + 1 < CHUNK ? io->slot + 1 : NO_SLOT;
      weft__waitq_init(&io->rq);
      weft__waitq_init(&io->wq);
    }
    /* Release: the initialised chunk before its pointer (slot_at). */
    weft__store_release(&d->chunks[c], chunk);
    weft__store_release(&d->nchunks, c + 1);
    d->free_head = c << CHUNK_SHIFT;
  }
  weft_io *io = slot_at(d, d->free_head);
  d->free_head = io->next_free;
  weft__spin_unlock(&d->lock);
  return io;
}

static void slot_give(weft__driver *d, weft_io *io) {
  weft__spin_lock(&d->lock);
  io->next_free = d->free_head;
  d->free_head = io->slot;
  weft__spin_unlock(&d->lock);
}

int weft__io_register(int fd, int kind, weft_io **out) {
  weft__driver *d = weft__driver_current();
  if (!d)
    return -EPERM;
  weft_io *io = slot_take(d);
  if (!io)
    return -ENOMEM;
  io->fd = fd;
  io->kind = (uint8_t)kind;
  uint64_t s = weft__io_state(io);
  /* Step 1: a fresh object starts ready both ways (nothing is known
   * yet), so the first operation makes its system call. The generation
   * was bumped when the slot was last given up. */
  weft__store_release(&io->state, (s & ~(WEFT__IO_TICK_MASK | 0xffu)) |
                                      WEFT__IO_R | WEFT__IO_W);
  weft__store_release(&io->refs, 1u);
  struct epoll_event ev = {
      .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
      .data.u64 = (uint64_t)WEFT__IO_GEN(s) << 32 | io->slot,
  };
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = -errno;
    io->fd = -1;
    weft__store_release(&io->refs, 0u);
    slot_give(d, io);
    return err;
  }
  ck_pr_faa_32(&d->sources, 1);
  *out = io;
  return 0;
}

void weft__io_unregister(weft_io *io) {
  weft__driver *d = io->home;
  /* Step 2 of close: from any thread; epoll_ctl is safe against a
   * concurrent epoll_wait on the same epoll. */
  epoll_ctl(d->epfd, EPOLL_CTL_DEL, io->fd, NULL);
  /* Step 3: a new generation, no readiness. Pairs with the reactor's CAS
   * (dispatch): an event read before the DEL now fails its check. */
  uint64_t s = weft__io_state(io);
  uint64_t ns;
  do
    ns = (uint64_t)(WEFT__IO_GEN(s) + 1) << 32;
  while (!ck_pr_cas_64_value(&io->state, s, ns, &s));
  /* Step 4. */
  weft__waitq_wake_all(&io->rq, -ECANCELED);
  weft__waitq_wake_all(&io->wq, -ECANCELED);
  ck_pr_dec_32(&d->sources);
}

void weft__io_release(weft_io *io) {
  int fd = io->fd;
  io->fd = -1;
  weft__sys_close(fd);
  slot_give(io->home, io);
}

/* Step 2 for one event. */
static void dispatch(weft__driver *d, uint64_t tag, uint32_t events) {
  weft_io *io = slot_at(d, (uint32_t)tag);
  if (!io)
    return;
  uint32_t bits = 0;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    bits |= WEFT__IO_R;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
    bits |= WEFT__IO_W;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    bits |= WEFT__IO_HUP;
  uint64_t s = weft__io_state(io);
  uint64_t ns;
  do {
    if (WEFT__IO_GEN(s) != (uint32_t)(tag >> 32))
      return; /* a stale event: the object was closed since */
    ns = (s & ~WEFT__IO_TICK_MASK) |
         ((s + WEFT__IO_TICK_ONE) & WEFT__IO_TICK_MASK) | bits;
  } while (!ck_pr_cas_64_value(&io->state, s, ns, &s));
  /* Only a direction this event made ready can have waiters to wake: a
   * waiter links itself only after it saw its bit clear under its queue's
   * lock (step 4), and the event that last set the bit, whose CAS came
   * after that look, wakes it. So an event on a connection nobody waits to
   * write to (most events say "writable" too) takes no lock for it. */
  uint32_t newly = bits & ~(uint32_t)s;
  if (newly & WEFT__IO_R)
    weft__waitq_wake_all(&io->rq, 0);
  if (newly & WEFT__IO_W)
    weft__waitq_wake_all(&io->wq, 0);
}

int weft__driver_poll(weft__driver *d, int64_t timeout_ns) {
  struct epoll_event evs[MAX_EVENTS];
  struct timespec ts;
  struct timespec *tsp = NULL;
  if (timeout_ns >= 0) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000);
    ts.tv_nsec = (long)(timeout_ns % 1000000000);
    tsp = &ts;
  }
  int n;
  do
    n = epoll_pwait2(d->epfd, evs, MAX_EVENTS, tsp, NULL);
  while (n < 0 && errno == EINTR && timeout_ns == 0);
  if (n < 0)
    return errno == EINTR ? 0 : -errno;
  int io = 0;
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == WAKE_TAG) {
      /* One read empties an eventfd (it returns the whole count); a second
       * one could only meet a write made since, which wakes the next poll
       * anyway: it cost a system call per wake (EAGAIN). */
      uint64_t v;
      ssize_t r;
      do
        r = read(d->wakefd, &v, sizeof v);
      while (r < 0 && errno == EINTR);
      /* Pairs with the CAS in weft__driver_wake: later wakes write again. */
      weft__store_release(&d->wake_pending, 0u);
    } else {
      dispatch(d, evs[i].data.u64, evs[i].events);
      io++;
    }
  }
  return io;
}

void weft__driver_wake(weft__driver *d) {
  /* One write per park is enough: skip if one is already in flight. */
  if (!ck_pr_cas_32(&d->wake_pending, 0, 1))
    return;
  uint64_t one = 1;
  ssize_t r;
  do
    r = write(d->wakefd, &one, sizeof one);
  while (r < 0 && errno == EINTR);
}

int weft__driver_sources(const weft__driver *d) {
  return (int)weft__load_relaxed(&d->sources);
}

/* The cooperative budget (io/io.h): the driver is the current worker's, and
 * only the task running on it touches `budget`. */
void weft__io_budget(void) {
  weft__driver *d = weft__driver_current();
  if (d && ++d->budget >= WEFT__IO_BUDGET) {
    d->budget = 0;
    weft__driver_yield();
  }
}

void weft__io_budget_reset(void) {
  weft__driver *d = weft__driver_current();
  if (d)
    d->budget = 0;
}
