/*
 * io/reactor.c: a worker's epoll reactor, behind the seam rt/driver.h
 * declares (redis's ae_epoll.c, libuv's platform poller), and the table of
 * I/O objects registered in it. The readiness and close protocols are at
 * the top of io/io.h; the steps cited here are its steps.
 *
 * The wake word and the wake channel (an eventfd registered edge-triggered).
 * The word says what the owner is doing: RUNNING (anything but waiting),
 * SPINNING (rt/spin.c's brief spin before a sleep), PARKED (asleep in
 * epoll_pwait2, or about to be) or NOTIFIED (woken since it last looked).
 * The protocol, in steps:
 *  1. A waker makes its work visible (a queue push), then exchanges the
 *     word to NOTIFIED and acts on what it held: PARKED, it writes the
 *     eventfd (only the one waker that saw PARKED writes: one write per
 *     sleep); SPINNING, nothing more (the spinner watches the word: no
 *     system call, no interrupt to a halted CPU); RUNNING or NOTIFIED,
 *     nothing (the owner's next sleep sees NOTIFIED).
 *  2. The owner, about to sleep, has announced that it is idle and looked
 *     at its queues once more (rt/idle.h). It then moves the word from
 *     RUNNING to SPINNING (weft__driver_spin), or from RUNNING or SPINNING
 *     to PARKED (a poll with a timeout), by CAS. A CAS that fails found
 *     NOTIFIED: the owner exchanges the word back to RUNNING and does not
 *     sleep (it polls with a zero timeout, or not at all without sources).
 *     A spinner that sees NOTIFIED leaves it for that CAS to find.
 *  3. After a sleep the owner exchanges the word back to RUNNING.
 * Go's store-load handshake, with read-modify-writes on one word instead
 * of a fence on each side (TSan models RMWs, not fences): the waker's
 * exchange and the owner's CAS are totally ordered. If the exchange came
 * first, the CAS fails, and its read of NOTIFIED (a full barrier) makes
 * the waker's work visible to the owner's next look; if the CAS came
 * first, the waker sees SPINNING or PARKED and the spinner sees NOTIFIED,
 * or the eventfd ends the sleep. A waker that saw PARKED may write after
 * the sleep ended by itself (a timeout, an I/O event): the count stays in
 * the eventfd and ends the next sleep at once, a spurious wake the loops
 * take as one. Polls with a zero timeout (the owner's, the monitor's)
 * leave the word alone and drain the eventfd if its event shows.
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
#include "rt/spin.h"

#define WAKE_TAG UINT64_MAX
#define MAX_EVENTS 128
#define CHUNK_SHIFT 8
#define CHUNK ((uint32_t)1 << CHUNK_SHIFT)
#define MAX_CHUNKS 8192 /* 2M objects per worker */
#define NO_SLOT UINT32_MAX

/* The wake word (the protocol above). */
enum { W_RUNNING, W_SPINNING, W_PARKED, W_NOTIFIED };

struct weft__driver {
  int epfd;
  int wakefd;
  uint32_t wake;       /* W_*: the owner CASes, wakers exchange: atomic */
  uint32_t sources;    /* registered objects: atomic */
  uint32_t budget;     /* completions without suspending: owner only */
  weft__spinlock lock; /* guards free_head, nchunks' growth */
  uint32_t free_head;  /* first free slot, or NO_SLOT */
  uint32_t nchunks;    /* chunks allocated: written under lock, atomic */
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

/* Steps 2 and 3 around a sleep: the poll itself, with the timeout cut to
 * zero (or no poll at all) when a wake came first. Owner only. */
int weft__driver_poll(weft__driver *d, int64_t timeout_ns) {
  bool parked = false;
  if (timeout_ns != 0) {
    /* Step 2. Only the owner moves the word away from NOTIFIED, so a
     * relaxed load of its own last value is enough to name the CAS. The
     * CAS (a full barrier) pairs with the waker's exchange (step 1). */
    uint32_t cur = weft__load_relaxed(&d->wake);
    if (cur != W_NOTIFIED && ck_pr_cas_32(&d->wake, cur, W_PARKED)) {
      parked = true;
    } else {
      /* NOTIFIED: consume it. An RMW, acquire: the waker's work before
       * its exchange is visible to the loop's next look. */
      weft__exchange(&d->wake, (uint32_t)W_RUNNING);
      /* Relaxed: a count (as weft__driver_sources); a source added since
       * is polled at the next park. */
      if (weft__load_relaxed(&d->sources) == 0)
        return 0; /* nothing to poll for; the eventfd is not written */
      timeout_ns = 0;
    }
  }
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
  int err = n < 0 && errno != EINTR ? -errno : 0;
  if (parked) /* step 3: acquire, as above, for a wake that ended it */
    weft__exchange(&d->wake, (uint32_t)W_RUNNING);
  if (n < 0)
    return err;
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
    } else {
      dispatch(d, evs[i].data.u64, evs[i].events);
      io++;
    }
  }
  return io;
}

bool weft__driver_spin(weft__driver *d, int64_t spin_ns) {
  /* Step 2: the CAS pairs with the waker's exchange; failing, it found
   * NOTIFIED, which the poll that follows consumes. */
  if (!ck_pr_cas_32(&d->wake, W_RUNNING, W_SPINNING))
    return true;
  /* While spinning only a waker changes the word, to NOTIFIED, which is
   * left for the poll's CAS to find; the acquire load pairs with its
   * exchange (step 1). Out of time, the word stays SPINNING: the poll
   * parks from it. */
  return weft__spin_while(&d->wake, W_SPINNING, spin_ns);
}

void weft__driver_wake(weft__driver *d) {
  /* Step 1. An RMW, a full barrier: the waker's work (a push) is ordered
   * before it, and it pairs with the owner's CAS (step 2). */
  if (weft__exchange(&d->wake, (uint32_t)W_NOTIFIED) != W_PARKED)
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
