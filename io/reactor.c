/*
 * io/reactor.c: a worker's epoll reactor, behind the seam rt/driver.h
 * declares (redis's ae_epoll.c, libuv's platform poller).
 *
 * Today it carries the wake channel: an eventfd registered edge-triggered.
 * weft__driver_wake writes it only when the owner is (about to be) parked:
 * the owner sets `parked` before it polls and the waker reads it after its
 * own store (the queues' RMWs and the CAS here are full barriers), so either
 * the owner sees the waker's work when it re-checks its queues, or the waker
 * sees `parked` and writes the eventfd. Sub-millisecond timeouts use
 * epoll_pwait2's timespec. The fd I/O sources of the network issue register
 * here too, with slot-and-generation tags in epoll_data.
 */
#include "rt/driver.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "rt/atomic.h"

#include "rt/alloc.h"
#include "rt/common.h"

#define WAKE_TAG UINT64_MAX
#define MAX_EVENTS 128

struct weft__driver {
  int epfd;
  int wakefd;
  uint32_t wake_pending; /* a write to wakefd is in flight: atomic */
  int sources;           /* owner only */
};

int weft__driver_open(weft__driver **out) {
  weft__driver *d = weft__calloc(sizeof *d);
  if (!d)
    return -ENOMEM;
  int err = 0;
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

void weft__driver_close(weft__driver *d) {
  if (!d)
    return;
  close(d->wakefd);
  close(d->epfd);
  weft__free(d, sizeof *d);
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
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == WAKE_TAG) {
      uint64_t v;
      while (read(d->wakefd, &v, sizeof v) > 0) {
      }
      /* Pairs with the CAS in weft__driver_wake: later wakes write again. */
      weft__store_release(&d->wake_pending, 0u);
    }
  }
  return n;
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

int weft__driver_sources(const weft__driver *d) { return d->sources; }
