/*
 * tests/unit/sync_stress.c: the sync/ primitives across 2 workers, with a
 * canceller task firing weft_cancel at the waiters all along, so that
 * cancellations cross hand-offs (a lock or a permit granted, a queue item
 * arriving, a notification, an event set) at random. Each case checks what
 * must hold whatever the interleaving: a lock-protected counter is exact, a
 * semaphore never admits more than its permits, every queue item is taken
 * exactly once, a condition handshake never loses a turn, every barrier
 * round releases all its parties, and task groups cancelled while their
 * children sleep, hold locks or wait on queues end with every primitive
 * free and no waiter left behind. Bounded by counts and by a time budget
 * per case (STRESS_MS), so it stays short under TSan on a busy machine.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

#define IP(v) ((void *)(intptr_t)(v))
#define PI(p) ((int)(intptr_t)(p))
#define MS 1000000LL
#define STRESS_MS 1500

static int64_t deadline;
static bool time_up(void) { return weft_now_ns() > deadline; }
static void start_clock(void) { deadline = weft_now_ns() + STRESS_MS * MS; }

/* ---- the canceller ---- */
struct canceller {
  weft_task **targets;
  size_t n;
  int stop; /* atomic */
  unsigned seed;
  long fired;
};
/* Targets count themselves in when they start: a task cancelled before
 * its first run never runs at all, which is not what is tested here. */
static int started;
static void target_started(void) {
  __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
}
static int canceller(void *arg, void **r) {
  (void)r;
  struct canceller *c = arg;
  while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < (int)c->n)
    (void)weft_yield();
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
    c->seed = c->seed * 1103515245u + 12345u;
    weft_task *t = c->targets[(c->seed >> 8) % c->n];
    if (weft_cancel(t) == 0)
      c->fired++;
    for (unsigned k = (c->seed >> 20) % 4; k > 0; k--)
      (void)weft_yield();
  }
  return 0;
}
static void cancel_start(struct canceller *c, weft_task **ts, size_t n,
                         weft_task **out) {
  memset(c, 0, sizeof *c);
  c->targets = ts;
  c->n = n;
  c->seed = 12345;
  CHECK_EQ(weft_spawn(out, canceller, c), 0);
}
static void cancel_stop(struct canceller *c, weft_task *t) {
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
  __atomic_store_n(&started, 1 << 30, __ATOMIC_RELEASE);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
}
/* Awaits a task the canceller may hit: it returns 0 by construction. */
static void join_all(weft_task **ts, size_t n) {
  for (size_t i = 0; i < n; i++)
    CHECK_EQ(weft_await(ts[i], NULL), 0);
}

/* ---- Lock: an exact counter ---- */
#define LOCKERS 6
static weft_lock *slock;
static long counter, done_incs[LOCKERS];
static int locker(void *arg, void **r) {
  (void)r;
  target_started();
  int id = PI(arg);
  for (int i = 0; i < 400 && !time_up(); i++) {
    if (weft_lock_acquire(slock) != 0)
      continue; /* cancelled: not held, retry */
    long v = counter;
    (void)weft_yield(); /* a cancellation here is ignored */
    counter = v + 1;
    done_incs[id]++;
    CHECK_EQ(weft_lock_release(slock), 0);
  }
  return 0;
}

static int t_lock(void *a, void **r) {
  (void)a, (void)r;
  start_clock();
  __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
  CHECK_EQ(weft_lock_new(&slock), 0);
  counter = 0;
  weft_task *ts[LOCKERS], *ct;
  for (int i = 0; i < LOCKERS; i++) {
    done_incs[i] = 0;
    CHECK_EQ(weft_spawn(&ts[i], locker, IP(i)), 0);
  }
  struct canceller c;
  cancel_start(&c, ts, LOCKERS, &ct);
  join_all(ts, LOCKERS);
  cancel_stop(&c, ct);
  long sum = 0;
  for (int i = 0; i < LOCKERS; i++) {
    sum += done_incs[i];
    weft_detach(ts[i]);
  }
  CHECK_EQ(counter, sum);
  CHECK(sum > 0);
  CHECK(!weft_lock_locked(slock));
  CHECK_EQ(weft_lock_free(slock), 0);
  fprintf(stderr, "   lock: %ld increments, %ld cancellations\n", sum, c.fired);
  return 0;
}

/* ---- Semaphore: never more holders than permits ---- */
#define PERMITS 2
static weft_sem *ssem;
static int holders, max_holders;
static long sem_rounds;
static int sem_user(void *arg, void **r) {
  (void)arg, (void)r;
  target_started();
  for (int i = 0; i < 300 && !time_up(); i++) {
    if (weft_sem_acquire(ssem) != 0)
      continue;
    int h = __atomic_add_fetch(&holders, 1, __ATOMIC_ACQ_REL);
    int m = __atomic_load_n(&max_holders, __ATOMIC_RELAXED);
    while (h > m &&
           !__atomic_compare_exchange_n(&max_holders, &m, h, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      ;
    (void)weft_yield();
    __atomic_sub_fetch(&holders, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&sem_rounds, 1, __ATOMIC_RELAXED);
    CHECK_EQ(weft_sem_release(ssem), 0);
  }
  return 0;
}

static int t_sem(void *a, void **r) {
  (void)a, (void)r;
  start_clock();
  __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
  CHECK_EQ(weft_sem_new_bounded(&ssem, PERMITS), 0);
  weft_task *ts[6], *ct;
  for (int i = 0; i < 6; i++)
    CHECK_EQ(weft_spawn(&ts[i], sem_user, NULL), 0);
  struct canceller c;
  cancel_start(&c, ts, 6, &ct);
  join_all(ts, 6);
  cancel_stop(&c, ct);
  for (int i = 0; i < 6; i++)
    weft_detach(ts[i]);
  CHECK(max_holders <= PERMITS);
  CHECK_EQ(weft_sem_value(ssem), PERMITS); /* no permit lost */
  CHECK_EQ(weft_sem_release(ssem), -EOVERFLOW);
  CHECK_EQ(weft_sem_free(ssem), 0);
  fprintf(stderr, "   semaphore: %ld rounds, %ld cancellations\n", sem_rounds,
          c.fired);
  return 0;
}

/* ---- Queue: N producers, M consumers, every item exactly once ---- */
#define PRODUCERS 3
#define CONSUMERS 3
#define ITEMS 2000
static weft_queue *squeue;
static unsigned char seen[PRODUCERS * ITEMS];
static int producer(void *arg, void **r) {
  (void)r;
  target_started();
  int p = PI(arg);
  for (int i = 0; i < ITEMS; i++) {
    int rc;
    while ((rc = weft_queue_put(squeue, IP(p * ITEMS + i + 1))) == -ECANCELED)
      ; /* not put: put again */
    CHECK_EQ(rc, 0);
  }
  return 0;
}
static int consumer(void *arg, void **r) {
  (void)arg, (void)r;
  target_started();
  for (;;) {
    void *it;
    int rc = weft_queue_get(squeue, &it);
    if (rc == -ECANCELED)
      continue; /* no item taken */
    if (rc == -EPIPE)
      return 0;
    CHECK_EQ(rc, 0);
    int v = PI(it) - 1;
    CHECK(v >= 0 && v < PRODUCERS * ITEMS);
    CHECK_EQ(__atomic_fetch_add(&seen[v], 1, __ATOMIC_RELAXED), 0);
    CHECK_EQ(weft_queue_task_done(squeue), 0);
  }
}

static int t_queue(void *a, void **r) {
  (void)a, (void)r;
  start_clock();
  for (int kind = 0; kind < 3; kind++) {
    memset(seen, 0, sizeof seen);
    __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
    CHECK_EQ(weft_queue_new(&squeue, (weft_queue_kind)kind, 4), 0);
    weft_task *ps[PRODUCERS], *cs[CONSUMERS + PRODUCERS], *ct;
    for (int i = 0; i < PRODUCERS; i++)
      CHECK_EQ(weft_spawn(&ps[i], producer, IP(i)), 0);
    for (int i = 0; i < CONSUMERS; i++)
      CHECK_EQ(weft_spawn(&cs[i], consumer, NULL), 0);
    memcpy(&cs[CONSUMERS], ps, sizeof ps);
    struct canceller c;
    cancel_start(&c, cs, CONSUMERS + PRODUCERS, &ct);
    join_all(ps, PRODUCERS);
    CHECK_EQ(weft_queue_join(squeue), 0);
    weft_queue_close(squeue);
    join_all(cs, CONSUMERS);
    cancel_stop(&c, ct);
    for (int i = 0; i < PRODUCERS * ITEMS; i++)
      CHECK_EQ(seen[i], 1);
    for (int i = 0; i < CONSUMERS + PRODUCERS; i++)
      weft_detach(cs[i]);
    CHECK_EQ(weft_queue_free(squeue), 0);
    fprintf(stderr, "   queue kind %d: %d items, %ld cancellations\n", kind,
            PRODUCERS * ITEMS, c.fired);
  }
  return 0;
}

/* ---- Condition: a handshake that never loses a turn ---- */
#define ROUNDS 2000
static weft_cond *scond;
static int turn, cond_cancels;
struct side {
  int me;
};
static bool my_turn(void *ctx) { return turn == ((struct side *)ctx)->me; }
static int handshaker(void *arg, void **r) {
  (void)r;
  target_started();
  struct side s = {PI(arg)};
  weft_lock *l = weft_cond_lock(scond);
  for (int i = 0; i < ROUNDS; i++) {
    while (weft_lock_acquire(l) != 0)
      ;
    int rc;
    while ((rc = weft_cond_wait_for(scond, my_turn, &s)) == -ECANCELED)
      __atomic_add_fetch(&cond_cancels, 1, __ATOMIC_RELAXED); /* still held */
    CHECK_EQ(rc, 0);
    turn = 1 - s.me;
    CHECK_EQ(weft_cond_notify_all(scond), 0);
    CHECK_EQ(weft_lock_release(l), 0);
  }
  return 0;
}

static int t_cond(void *a, void **r) {
  (void)a, (void)r;
  __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
  CHECK_EQ(weft_cond_new(&scond, NULL), 0);
  turn = 0;
  weft_task *ts[2], *ct;
  for (int i = 0; i < 2; i++)
    CHECK_EQ(weft_spawn(&ts[i], handshaker, IP(i)), 0);
  struct canceller c;
  cancel_start(&c, ts, 2, &ct);
  join_all(ts, 2);
  cancel_stop(&c, ct);
  weft_detach(ts[0]);
  weft_detach(ts[1]);
  CHECK_EQ(turn, 0); /* 2 * ROUNDS turns, none lost */
  CHECK_EQ(weft_cond_free(scond), 0);
  fprintf(stderr, "   condition: %d turns, %d waits cancelled\n", 2 * ROUNDS,
          cond_cancels);
  return 0;
}

/* ---- Event and Barrier rounds ---- */
#define PARTIES 4
static weft_barrier *sbar;
static weft_event *sev;
static int bar_hits[PARTIES];
static int party(void *arg, void **r) {
  (void)arg, (void)r;
  for (int i = 0; i < 300; i++) {
    int idx = weft_barrier_wait(sbar);
    CHECK(idx >= 0 && idx < PARTIES);
    __atomic_add_fetch(&bar_hits[idx], 1, __ATOMIC_RELAXED);
  }
  return weft_event_wait(sev);
}

static int t_barrier_event(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_barrier_new(&sbar, PARTIES), 0);
  CHECK_EQ(weft_event_new(&sev), 0);
  weft_task *ts[PARTIES];
  for (int i = 0; i < PARTIES; i++)
    CHECK_EQ(weft_spawn(&ts[i], party, NULL), 0);
  while (weft_barrier_n_waiting(sbar) != 0 ||
         !__atomic_load_n(&bar_hits[0], __ATOMIC_RELAXED) ||
         __atomic_load_n(&bar_hits[PARTIES - 1], __ATOMIC_RELAXED) < 300)
    CHECK_EQ(weft_sleep_ms(1), 0);
  weft_event_set(sev);
  join_all(ts, PARTIES);
  for (int i = 0; i < PARTIES; i++) {
    CHECK_EQ(bar_hits[i], 300); /* every round released everyone */
    weft_detach(ts[i]);
  }
  CHECK_EQ(weft_barrier_free(sbar), 0);
  CHECK_EQ(weft_event_free(sev), 0);
  return 0;
}

/* ---- groups cancelled while children sleep, hold locks, wait on queues */
static weft_lock *glock;
static weft_queue *gqueue;
static int g_sleeper(void *a, void **r) {
  (void)a, (void)r;
  return weft_sleep_ms(10000);
}
static int g_locker(void *a, void **r) {
  (void)a, (void)r;
  for (;;) {
    int rc = weft_lock_acquire(glock);
    if (rc)
      return rc;
    rc = weft_yield();
    CHECK_EQ(weft_lock_release(glock), 0);
    if (rc)
      return rc;
  }
}
static int g_getter(void *a, void **r) {
  (void)a, (void)r;
  void *it;
  return weft_queue_get(gqueue, &it);
}
static int g_owner(void *a, void **r) {
  (void)a, (void)r;
  weft_group *g;
  CHECK_EQ(weft_group_new(&g), 0);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(weft_group_spawn(g, NULL, g_sleeper, NULL), 0);
    CHECK_EQ(weft_group_spawn(g, NULL, g_locker, NULL), 0);
    CHECK_EQ(weft_group_spawn(g, NULL, g_getter, NULL), 0);
  }
  int rc = weft_group_exit(g, weft_sleep_ms(10000));
  CHECK_EQ(weft_group_free(g), 0);
  return rc;
}

static int t_groups(void *a, void **r) {
  (void)a, (void)r;
  start_clock();
  CHECK_EQ(weft_lock_new(&glock), 0);
  CHECK_EQ(weft_queue_new(&gqueue, WEFT_QUEUE_FIFO, 0), 0);
  int rounds = 0;
  for (; rounds < 100 && !time_up(); rounds++) {
    weft_task *o;
    CHECK_EQ(weft_spawn(&o, g_owner, NULL), 0);
    for (int k = rounds % 5; k > 0; k--)
      CHECK_EQ(weft_yield(), 0);
    CHECK_EQ(weft_cancel(o), 0);
    CHECK_EQ(weft_await(o, NULL), -ECANCELED);
    weft_detach(o);
    CHECK(!weft_lock_locked(glock));
  }
  CHECK_EQ(weft_lock_free(glock), 0);
  CHECK_EQ(weft_queue_free(gqueue), 0); /* no waiter left */
  fprintf(stderr, "   groups: %d rounds\n", rounds);
  return 0;
}

/* ---- Event and oneshot: a wake crossing a cancellation loses nothing -- */
#define EV_WAITERS 4
static weft_event *xev;
static int ev_round; /* atomic: the setter's round */
static int ev_waiter(void *arg, void **r) {
  (void)arg, (void)r;
  target_started();
  for (;;) {
    int rc = weft_event_wait(xev);
    if (rc == -ECANCELED)
      continue; /* cancelled: wait again */
    CHECK_EQ(rc, 0);
    if (__atomic_load_n(&ev_round, __ATOMIC_ACQUIRE) < 0)
      return 0; /* the last set */
    (void)weft_yield();
  }
}

static weft_oneshot *xos;
static int os_receiver(void *arg, void **r) {
  (void)arg, (void)r;
  target_started();
  void *v;
  int rc;
  while ((rc = weft_oneshot_recv(xos, &v)) == -ECANCELED)
    ; /* the value, if it came, is still there */
  CHECK_EQ(rc, 0);
  *r = v;
  return 0;
}

static int t_event_oneshot(void *a, void **r) {
  (void)a, (void)r;
  start_clock();
  __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
  CHECK_EQ(weft_event_new(&xev), 0);
  ev_round = 0;
  weft_task *ts[EV_WAITERS], *ct;
  for (int i = 0; i < EV_WAITERS; i++)
    CHECK_EQ(weft_spawn(&ts[i], ev_waiter, NULL), 0);
  struct canceller c;
  cancel_start(&c, ts, EV_WAITERS, &ct);
  for (int i = 0; i < 300 && !time_up(); i++) {
    weft_event_set(xev);
    (void)weft_yield();
    weft_event_clear(xev);
    (void)weft_yield();
  }
  cancel_stop(&c, ct);
  __atomic_store_n(&ev_round, -1, __ATOMIC_RELEASE);
  weft_event_set(xev); /* every waiter must see it: none left asleep */
  join_all(ts, EV_WAITERS);
  for (int i = 0; i < EV_WAITERS; i++)
    weft_detach(ts[i]);
  CHECK_EQ(weft_event_free(xev), 0);
  fprintf(stderr, "   event: %ld cancellations\n", c.fired);

  long rounds = 0;
  for (; rounds < 300 && !time_up(); rounds++) {
    __atomic_store_n(&started, 0, __ATOMIC_RELEASE);
    CHECK_EQ(weft_oneshot_new(&xos), 0);
    weft_task *rx;
    CHECK_EQ(weft_spawn(&rx, os_receiver, NULL), 0);
    cancel_start(&c, &rx, 1, &ct);
    for (int k = (int)(rounds % 4); k > 0; k--)
      (void)weft_yield();
    CHECK_EQ(weft_oneshot_send(xos, IP(rounds + 1)), 0);
    void *v;
    CHECK_EQ(weft_await(rx, &v), 0);
    CHECK_EQ(PI(v), rounds + 1);
    cancel_stop(&c, ct);
    weft_detach(rx);
    CHECK_EQ(weft_oneshot_free(xos), 0);
  }
  fprintf(stderr, "   oneshot: %ld rounds\n", rounds);
  return 0;
}

int main(void) {
  RUN_WORKERS(t_lock, 2);
  RUN_WORKERS(t_sem, 2);
  RUN_WORKERS(t_queue, 2);
  RUN_WORKERS(t_cond, 2);
  RUN_WORKERS(t_barrier_event, 2);
  RUN_WORKERS(t_groups, 2);
  RUN_WORKERS(t_event_oneshot, 2);
  return 0;
}
