/*
 * bench/micro/sched.c: the scheduler workloads of issue 4 (Tokio's
 * rt_multi_threaded set), at any worker count; see bodies.h.
 *
 * Written against the public API (weft.h), except for two things weft does
 * not offer yet: a channel for ping_pong and chained_spawn, and the workers'
 * counters. The channel is a one-slot mailbox built here on the runtime's
 * internal wait queue (rt/waitq.h), the way tests/unit/wake_pingpong.c uses
 * it; the counters are read from rt/worker.h with weft__load_relaxed.
 *
 * Each body runs one weft_run: a warm-up with a tenth of the work (as the
 * peers in bench/peers do), then the timed run, timed inside the main task
 * around the workload alone (spawns, waits and detaches included; runtime
 * start and stop not). The counters are the sums over all workers of what
 * changed during the timed run.
 */
#include "bodies.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt/current.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "rt/worker.h"
#include "weft.h"

static void die(const char *what, int err) {
  fprintf(stderr, "bench: %s: %s\n", what, weft_strerror(err));
  abort();
}

static void check(const char *what, int err) {
  if (err)
    die(what, err);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    die("malloc", -ENOMEM);
  return p;
}

static int empty_fn(void *arg, void **result) {
  (void)arg;
  (void)result;
  return 0;
}

/* ---- a one-slot mailbox on the wait queue -------------------------------
 *
 * One receiver, one sender at a time, no cancellation: what ping_pong and
 * the end of a chain need, and no more (weft has no sync/ primitives yet).
 * send() never waits: the workloads never send to a full slot (checked).
 * A send that finds the receiver waiting hands the token over by waking it
 * (weft__waitq_wake_one: unlink, publish the status, wake the task); one
 * that finds nobody leaves it in the slot, and the next recv() takes it
 * without suspending. */

typedef struct mailbox {
  weft__waitq q;
  int full; /* a token is in the slot: under q's lock */
} mailbox;

static void mb_init(mailbox *m) {
  weft__waitq_init(&m->q);
  m->full = 0;
}

static void mb_send(mailbox *m) {
  weft__waitq_lock(&m->q);
  if (weft__waitq_empty_locked(&m->q)) {
    if (m->full)
      die("mailbox: send to a full slot", -EAGAIN);
    m->full = 1;
    weft__waitq_unlock(&m->q);
    return;
  }
  weft__waitq_unlock(&m->q);
  /* The one receiver is linked and only a cancellation (there is none
   * here) could unlink it in between: it is still there. */
  if (!weft__waitq_wake_one(&m->q, 0, NULL))
    die("mailbox: the receiver left", -EPROTO);
}

static void mb_recv(mailbox *m) {
  weft__waitq_lock(&m->q);
  if (m->full) {
    m->full = 0;
    weft__waitq_unlock(&m->q);
    return;
  }
  weft__waiter w;
  weft__waitq_push_locked(&m->q, &w, weft_self());
  check("mailbox wait", weft__waitq_wait(&m->q, &w)); /* unlocks */
}

/* ---- the run, the clock and the counters --------------------------------- */

/* Runs a workload of sizes a and b; ts has room for a task handles.
 * Returns the operations done. */
typedef uint64_t (*workload_fn)(uint64_t a, uint64_t b, weft_task **ts);

typedef struct sched_job {
  workload_fn fn;
  uint64_t a, b;  /* the workload's sizes */
  weft_task **ts; /* room for a handles, allocated before the clock starts */
  bool warmup;
  bench_sched_stats *out;
} sched_job;

static void counters(bench_sched_stats *s) {
  weft__runtime *rt = weft__worker_current()->rt;
  *s = (bench_sched_stats){0};
  s->workers = rt->nworkers;
  for (int i = 0; i < rt->nworkers; i++) {
    const weft__worker_stats *w = &rt->workers[i].stats;
    s->tasks_run += weft__load_relaxed(&w->tasks_run);
    s->steals_tried += weft__load_relaxed(&w->steals_tried);
    s->steals_won += weft__load_relaxed(&w->steals_won);
    s->parks += weft__load_relaxed(&w->parks);
    s->unparks += weft__load_relaxed(&w->unparks);
    s->inject_pops += weft__load_relaxed(&w->inject_pops);
    s->overflows += weft__load_relaxed(&w->overflows);
  }
}

/* The main task: the warm-up (a tenth of a, as the peers' programs do),
 * then the timed part: counters and clock before, the workload, clock and
 * counters after; out gets the differences. */
static int sched_main(void *arg, void **result) {
  (void)result;
  sched_job *j = arg;
  if (j->warmup)
    j->fn(j->a / 10 > 0 ? j->a / 10 : 1, j->b, j->ts);
  bench_sched_stats s0;
  bench_sched_stats s1;
  counters(&s0);
  int64_t t0 = weft_now_ns();
  uint64_t ops = j->fn(j->a, j->b, j->ts);
  int64_t t1 = weft_now_ns();
  counters(&s1);
  bench_sched_stats *o = j->out;
  o->ns = (uint64_t)(t1 - t0);
  o->ops = ops;
  o->workers = s1.workers;
  o->tasks_run = s1.tasks_run - s0.tasks_run;
  o->steals_tried = s1.steals_tried - s0.steals_tried;
  o->steals_won = s1.steals_won - s0.steals_won;
  o->parks = s1.parks - s0.parks;
  o->unparks = s1.unparks - s0.unparks;
  o->inject_pops = s1.inject_pops - s0.inject_pops;
  o->overflows = s1.overflows - s0.overflows;
  return 0;
}

static void run_sched(workload_fn fn, int workers, uint64_t a, uint64_t b,
                      bool warmup, bench_sched_stats *out) {
  sched_job j = {.fn = fn, .a = a, .b = b, .warmup = warmup, .out = out};
  j.ts = xmalloc((a > 0 ? a : 1) * sizeof(weft_task *));
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  check("weft_run", weft_run(&cfg, sched_main, &j, NULL));
  free(j.ts);
}

/* Spawns n tasks of fn(arg) (handles in ts), gathers them all
 * (WEFT_GATHER_ALL), checks that each one finished well, detaches them. */
static void spawn_gather_all(uint64_t n, weft_fn fn, void *arg,
                             weft_task **ts) {
  for (uint64_t i = 0; i < n; i++)
    check("weft_spawn", weft_spawn(&ts[i], fn, arg));
  check("weft_gather", weft_gather(ts, n, NULL, NULL, WEFT_GATHER_ALL));
  for (uint64_t i = 0; i < n; i++) {
    if (weft_task_state_of(ts[i]) != WEFT_TASK_DONE)
      die("a task did not finish well", -EPROTO);
    weft_detach(ts[i]);
  }
}

/* Spawns n tasks of fn(arg) into a task group without handles and waits
 * for all of them (weft_group_exit): Go's WaitGroup, asyncio's TaskGroup. */
static void spawn_group_all(uint64_t n, weft_fn fn, void *arg) {
  weft_group *g;
  check("weft_group_new", weft_group_new(&g));
  for (uint64_t i = 0; i < n; i++)
    check("weft_group_spawn", weft_group_spawn(g, NULL, fn, arg));
  check("weft_group_exit", weft_group_exit(g, 0));
  check("weft_group_free", weft_group_free(g));
}

/* ---- spawn_many: a tasks from one task, all awaited ---------------------- */

/* As Tokio's own rt_multi_threaded spawn_many and Go's WaitGroup: the
 * spawner waits until every task has run, holding no handle to each. weft's
 * way is a task group whose children are spawned without handles. */
static uint64_t spawn_many(uint64_t tasks, uint64_t unused, weft_task **ts) {
  (void)unused;
  (void)ts;
  spawn_group_all(tasks, empty_fn, NULL);
  return tasks;
}

void bench_spawn_many(int workers, uint64_t tasks, bool warmup,
                      bench_sched_stats *out) {
  run_sched(spawn_many, workers, tasks, 0, warmup, out);
}

/* The same, keeping a handle to each task and awaiting them one at a time
 * (Tokio's current-thread spawn_many: a loop of JoinHandle awaits): every
 * task stays in memory until its handle is let go. */
static uint64_t spawn_many_each(uint64_t tasks, uint64_t unused,
                                weft_task **ts) {
  (void)unused;
  for (uint64_t i = 0; i < tasks; i++)
    check("weft_spawn", weft_spawn(&ts[i], empty_fn, NULL));
  for (uint64_t i = 0; i < tasks; i++) {
    check("weft_await", weft_await(ts[i], NULL));
    weft_detach(ts[i]);
  }
  return tasks;
}

void bench_spawn_many_each(int workers, uint64_t tasks, bool warmup,
                           bench_sched_stats *out) {
  run_sched(spawn_many_each, workers, tasks, 0, warmup, out);
}

/* ---- yield_many: a tasks each yield b times ------------------------------ */

static int yielder_fn(void *arg, void **result) {
  (void)result;
  uint64_t n = *(const uint64_t *)arg;
  for (uint64_t i = 0; i < n; i++)
    check("weft_yield", weft_yield());
  return 0;
}

static uint64_t yield_many(uint64_t tasks, uint64_t yields, weft_task **ts) {
  spawn_gather_all(tasks, yielder_fn, &yields, ts);
  return tasks * yields;
}

void bench_yield_many(int workers, uint64_t tasks, uint64_t yields, bool warmup,
                      bench_sched_stats *out) {
  run_sched(yield_many, workers, tasks, yields, warmup, out);
}

/* ---- ping_pong: a pairs each doing b round trips ------------------------- */

typedef struct pair {
  mailbox ping, pong;
  uint64_t trips;
} pair;

static int ponger_fn(void *arg, void **result) {
  (void)result;
  pair *p = arg;
  for (uint64_t i = 0; i < p->trips; i++) {
    mb_recv(&p->ping);
    mb_send(&p->pong);
  }
  return 0;
}

/* One pair, as the peers do it: this task pings, a task it spawns pongs. */
static int pinger_fn(void *arg, void **result) {
  (void)result;
  pair p;
  mb_init(&p.ping);
  mb_init(&p.pong);
  p.trips = *(const uint64_t *)arg;
  weft_task *ponger;
  check("weft_spawn", weft_spawn(&ponger, ponger_fn, &p));
  for (uint64_t i = 0; i < p.trips; i++) {
    mb_send(&p.ping);
    mb_recv(&p.pong);
  }
  check("weft_await", weft_await(ponger, NULL));
  weft_detach(ponger);
  return 0;
}

static uint64_t ping_pong(uint64_t pairs, uint64_t trips, weft_task **ts) {
  spawn_gather_all(pairs, pinger_fn, &trips, ts);
  return pairs * trips;
}

void bench_ping_pong(int workers, uint64_t pairs, uint64_t trips, bool warmup,
                     bench_sched_stats *out) {
  run_sched(ping_pong, workers, pairs, trips, warmup, out);
}

/* ---- chained_spawn: a chain of a spawns, b times ------------------------- */

/* links[i] is the task that has i spawns left to make; all share done. */
typedef struct link {
  mailbox *done;
  struct link *next; /* links[i - 1] */
  uint64_t left;
} link;

static int chain_fn(void *arg, void **result) {
  (void)result;
  link *l = arg;
  if (l->left == 0) {
    mb_send(l->done);
    return 0;
  }
  weft_task *t;
  check("weft_spawn", weft_spawn(&t, chain_fn, l->next));
  weft_detach(t);
  return 0;
}

static uint64_t chained_spawn(uint64_t len, uint64_t times, weft_task **ts) {
  (void)ts;
  mailbox done;
  mb_init(&done);
  link *links = xmalloc((len + 1) * sizeof *links);
  for (uint64_t i = 0; i <= len; i++)
    links[i] =
        (link){.done = &done, .next = i ? &links[i - 1] : NULL, .left = i};
  /* As the peers do: the first spawn is made by the waiting task itself
   * (Tokio's chain(len, tx) runs in the caller), so a chain is exactly len
   * spawns, the last task signalling. */
  for (uint64_t k = 0; k < times; k++) {
    weft_task *t;
    check("weft_spawn", weft_spawn(&t, chain_fn, &links[len - 1]));
    weft_detach(t);
    mb_recv(&done);
  }
  free(links);
  return len * times;
}

void bench_chained_spawn(int workers, uint64_t len, uint64_t times, bool warmup,
                         bench_sched_stats *out) {
  if (len == 0)
    die("chained_spawn: a chain of 0", -EINVAL);
  run_sched(chained_spawn, workers, len, times, warmup, out);
}

/* ---- issue 8's additions: the side-by-side set (bench/compare.sh) --------
 *
 * timers, fan_out, gather, spawn_await and yield at any worker count, and
 * memory (many tasks asleep at once; the peak RSS is read by the caller).
 * Each is written as the peers' programs in bench/peers/ write it. */

static int sleeper_fn(void *arg, void **result) {
  (void)result;
  return weft_sleep_ms((int64_t) * (const uint64_t *)arg);
}

/* timers: a tasks each sleeping b ms, spawned into a task group without
 * handles and waited for by its exit, as Go's program waits on a WaitGroup
 * (the spawner needs no result, only that every sleeper woke). */
static uint64_t timers_many(uint64_t tasks, uint64_t ms, weft_task **ts) {
  (void)ts;
  spawn_group_all(tasks, sleeper_fn, &ms);
  return tasks;
}

void bench_timers_many(int workers, uint64_t tasks, uint64_t ms, bool warmup,
                       bench_sched_stats *out) {
  run_sched(timers_many, workers, tasks, ms, warmup, out);
}

static int yield_once_fn(void *arg, void **result) {
  (void)arg;
  (void)result;
  return weft_yield();
}

/* fan_out: one node of the two-level tree spawns `width` leaves (each
 * yields once) into a task group and waits for them all, as the Go program
 * waits on a WaitGroup per parent. */
static int fan_node_fn(void *arg, void **result) {
  (void)result;
  spawn_group_all(*(const uint64_t *)arg, yield_once_fn, NULL);
  return 0;
}

/* a rounds of a tree of fan-out b: the main task spawns b nodes, each node
 * spawns b leaves; every task awaited by its parent's group. Operation: a
 * task. */
static uint64_t fan_out(uint64_t rounds, uint64_t width, weft_task **ts) {
  (void)ts;
  for (uint64_t r = 0; r < rounds; r++)
    spawn_group_all(width, fan_node_fn, &width);
  return rounds * (width + width * width);
}

void bench_fan_out(int workers, uint64_t rounds, uint64_t width, bool warmup,
                   bench_sched_stats *out) {
  run_sched(fan_out, workers, rounds, width, warmup, out);
}

/* gather: a rounds of b tasks (each yields once) gathered by one
 * weft_gather. Operation: a task. */
static uint64_t gather_rounds(uint64_t rounds, uint64_t width, weft_task **ts) {
  for (uint64_t r = 0; r < rounds; r++)
    spawn_gather_all(width, yield_once_fn, NULL, ts);
  return rounds * width;
}

void bench_gather(int workers, uint64_t rounds, uint64_t width, bool warmup,
                  bench_sched_stats *out) {
  /* ts must hold `width` handles: run_sched sizes it by its first size. */
  sched_job j = {.fn = gather_rounds,
                 .a = rounds,
                 .b = width,
                 .warmup = warmup,
                 .out = out};
  j.ts = xmalloc((width > 0 ? width : 1) * sizeof(weft_task *));
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  check("weft_run", weft_run(&cfg, sched_main, &j, NULL));
  free(j.ts);
}

/* spawn_await: a times spawn one empty task and await it (ts, room for a
 * handles, is not used: run_sched allocates it untouched). */
static uint64_t spawn_await_n(uint64_t n, uint64_t unused, weft_task **ts) {
  (void)unused;
  (void)ts;
  for (uint64_t i = 0; i < n; i++) {
    weft_task *t;
    check("weft_spawn", weft_spawn(&t, empty_fn, NULL));
    check("weft_await", weft_await(t, NULL));
    weft_detach(t);
  }
  return n;
}

void bench_spawn_await_w(int workers, uint64_t n, bool warmup,
                         bench_sched_stats *out) {
  run_sched(spawn_await_n, workers, n, 0, warmup, out);
}

/* yield: the only task yields a times (ts is not used). */
static uint64_t yield_alone(uint64_t n, uint64_t unused, weft_task **ts) {
  (void)unused;
  (void)ts;
  for (uint64_t i = 0; i < n; i++)
    check("weft_yield", weft_yield());
  return n;
}

void bench_yield_w(int workers, uint64_t n, bool warmup,
                   bench_sched_stats *out) {
  run_sched(yield_alone, workers, n, 0, warmup, out);
}

/* memory: a tasks asleep at once. Each counts itself, then sleeps b ms;
 * once all have counted, the main task prints how long that took and the
 * process exits at once (_Exit: nothing is torn down), so the process's
 * peak RSS, read by the caller (wait4), is that of a sleeping tasks. */
typedef struct memory_job {
  uint64_t tasks, ms;
  _Atomic uint64_t started;
} memory_job;

static int counted_sleeper_fn(void *arg, void **result) {
  (void)result;
  memory_job *j = arg;
  atomic_fetch_add_explicit(&j->started, 1, memory_order_relaxed);
  return weft_sleep_ms((int64_t)j->ms);
}

static int memory_main(void *arg, void **result) {
  (void)result;
  memory_job *j = arg;
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < j->tasks; i++) {
    weft_task *t;
    check("weft_spawn", weft_spawn(&t, counted_sleeper_fn, j));
    weft_detach(t);
  }
  while (atomic_load_explicit(&j->started, memory_order_relaxed) < j->tasks)
    check("weft_sleep_ms", weft_sleep_ms(1));
  printf("%" PRId64 "\n", weft_now_ns() - t0);
  fflush(stdout);
  _Exit(0);
}

void bench_memory(int workers, uint64_t tasks, uint64_t ms) {
  memory_job j = {.tasks = tasks, .ms = ms};
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  check("weft_run", weft_run(&cfg, memory_main, &j, NULL));
  die("memory: weft_run returned", -EPROTO);
  abort();
}
