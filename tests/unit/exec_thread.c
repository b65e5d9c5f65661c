/*
 * The blocking pool (weft_to_thread): results, cancellation of a running
 * and of a queued job (and the release callback), the thread cap under a
 * burst, idle threads leaving, the counters in weft_stats, and shutdown
 * step 4 (the pool drained, or detached after the grace period).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "rt/atomic.h"

#define MS ((int64_t)1000000)

static weft_stats stats_now(void) {
  weft_stats s;
  CHECK(weft_stats_get(NULL, &s, NULL, 0) >= 1);
  return s;
}

/* ---- result ---- */

static int add_one(void *arg, void **result) {
  long *v = arg;
  *result = (void *)(*v + 1);
  return 0;
}
static int fail_code(void *arg, void **result) {
  (void)arg;
  (void)result;
  return -EDOM;
}
static int thread_id(void *arg, void **result) {
  *(pthread_t *)arg = pthread_self();
  (void)result;
  return 0;
}

static int t_result(void *arg, void **result) {
  (void)arg;
  (void)result;
  long v = 41;
  void *r = NULL;
  CHECK_EQ(weft_to_thread(add_one, &v, &r, NULL), 0);
  CHECK_EQ((long)r, 42);
  CHECK_EQ(weft_to_thread(fail_code, NULL, NULL, NULL), -EDOM);
  CHECK_EQ(weft_to_thread(NULL, NULL, NULL, NULL), -EINVAL);
  pthread_t th = pthread_self();
  CHECK_EQ(weft_to_thread(thread_id, &th, NULL, NULL), 0);
  CHECK(!pthread_equal(th, pthread_self())); /* it ran elsewhere */
  weft_stats s = stats_now();
  CHECK(s.blocking_jobs >= 3);
  CHECK(s.blocking_threads >= 1);
  /* One call after another: the thread that just answered takes the next
   * job; no new thread per call. */
  for (int i = 0; i < 200; i++)
    CHECK_EQ(weft_to_thread(add_one, &v, NULL, NULL), 0);
  CHECK(stats_now().blocking_threads <= 2);
  return 0;
}

/* ---- cancellation ---- */

typedef struct slow_arg {
  int64_t ms;
  uint32_t started, finished, released; /* atomic */
  int release_code;
  void *release_result;
} slow_arg;

static int slow(void *arg, void **result) {
  slow_arg *a = arg;
  weft__store_release(&a->started, 1u);
  usleep((useconds_t)(a->ms * 1000));
  weft__store_release(&a->finished, 1u);
  *result = a;
  return 7;
}
static void slow_release(void *arg, void *result, int code) {
  slow_arg *a = arg;
  a->release_code = code;
  a->release_result = result;
  weft__store_release(&a->released, 1u);
}

static int call_slow(void *arg, void **result) {
  (void)result;
  return weft_to_thread(slow, arg, NULL, slow_release);
}

static int t_cancel(void *arg, void **result) {
  (void)arg;
  (void)result;
  slow_arg *a = calloc(1, sizeof *a); /* outlives the cancelled call */
  a->ms = 1000;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, call_slow, a), 0);
  while (!weft__load_acquire(&a->started))
    weft_sleep_ms(5);
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK(weft_now_ns() - t0 < 600 * MS); /* at once, not after fn */
  CHECK(!weft__load_acquire(&a->finished));
  weft_detach(t);
  while (!weft__load_acquire(&a->released)) /* fn finishes, then release */
    weft_sleep_ms(10);
  CHECK(weft__load_acquire(&a->finished));
  CHECK_EQ(a->release_code, 7);
  CHECK(a->release_result == a);
  free(a);
  return 0;
}

/* A queued job (the only thread busy) is dropped without running. */
static int t_cancel_queued(void *arg, void **result) {
  (void)arg;
  (void)result;
  slow_arg *busy = calloc(1, sizeof *busy), *queued = calloc(1, sizeof *queued);
  busy->ms = 400;
  queued->ms = 1;
  weft_task *tb, *tq;
  CHECK_EQ(weft_spawn(&tb, call_slow, busy), 0);
  while (!weft__load_acquire(&busy->started))
    weft_sleep_ms(5);
  CHECK_EQ(weft_spawn(&tq, call_slow, queued), 0);
  weft_sleep_ms(50);
  CHECK_EQ(stats_now().blocking_queue_depth, 1);
  CHECK_EQ(weft_cancel(tq), 0);
  CHECK_EQ(weft_await(tq, NULL), -ECANCELED);
  CHECK_EQ(weft_await(tb, NULL), 7);
  weft_detach(tb);
  weft_detach(tq);
  while (!weft__load_acquire(&queued->released))
    weft_sleep_ms(10);
  CHECK(!weft__load_acquire(&queued->started)); /* never ran */
  CHECK_EQ(queued->release_code, -ECANCELED);
  CHECK(queued->release_result == NULL);
  CHECK_EQ(stats_now().blocking_queue_depth, 0);
  free(busy);
  free(queued);
  return 0;
}

/* ---- the cap under a burst, and idle exit ---- */

#define CAP 4
#define BURST 24
static uint32_t running, max_running; /* atomic */
static uint64_t max_queued;           /* seen by the jobs: atomic */
static weft_runtime *burst_rt;

static void note_max(uint64_t *m, uint64_t v) {
  uint64_t cur = weft__load_relaxed(m);
  while (v > cur && !ck_pr_cas_64_value(m, cur, v, &cur)) {
  }
}

static int burst_job(void *arg, void **result) {
  (void)arg;
  (void)result;
  uint32_t now = ck_pr_faa_32(&running, 1) + 1;
  uint32_t m = weft__load_relaxed(&max_running);
  while (now > m && !ck_pr_cas_32_value(&max_running, m, now, &m)) {
  }
  weft_stats s;
  CHECK(weft_stats_get(burst_rt, &s, NULL, 0) >= 1); /* from a pool thread */
  note_max(&max_queued, s.blocking_queue_depth);
  usleep(50000);
  ck_pr_dec_32(&running);
  return 0;
}
static int call_burst(void *arg, void **result) {
  (void)arg;
  (void)result;
  return weft_to_thread(burst_job, NULL, NULL, NULL);
}

static int t_burst(void *arg, void **result) {
  (void)arg;
  (void)result;
  uint64_t jobs0 = stats_now().blocking_jobs;
  burst_rt = weft_runtime_current();
  weft__store_relaxed(&max_queued, (uint64_t)0);
  weft_task *t[BURST];
  for (int i = 0; i < BURST; i++)
    CHECK_EQ(weft_spawn(&t[i], call_burst, NULL), 0);
  uint64_t max_threads = 0, max_depth = 0;
  for (int done = 0; !done;) {
    weft_stats s = stats_now();
    if (s.blocking_threads > max_threads)
      max_threads = s.blocking_threads;
    if (s.blocking_queue_depth > max_depth)
      max_depth = s.blocking_queue_depth;
    done = 1;
    for (int i = 0; i < BURST; i++)
      done &= weft_task_state_of(t[i]) != WEFT_TASK_PENDING;
    weft_sleep_ms(2);
  }
  CHECK_EQ(weft_gather(t, BURST, NULL, NULL, 0), 0);
  for (int i = 0; i < BURST; i++)
    weft_detach(t[i]);
  fprintf(stderr, "burst: max running %u, max threads %llu, max depth %llu\n",
          weft__load_relaxed(&max_running), (unsigned long long)max_threads,
          (unsigned long long)max_depth);
  CHECK(weft__load_relaxed(&max_running) <= CAP);
  CHECK(weft__load_relaxed(&max_running) >= 2); /* it did run in parallel */
  CHECK(max_threads <= CAP);
  note_max(&max_queued, max_depth);
  CHECK(weft__load_relaxed(&max_queued) > 0); /* jobs waited in the queue */
  CHECK_EQ(stats_now().blocking_jobs - jobs0, BURST);
  /* Idle threads leave (idle timeout 0.2 s here). */
  int64_t until = weft_now_ns() + 5000 * MS;
  while (stats_now().blocking_threads > 0 && weft_now_ns() < until)
    weft_sleep_ms(20);
  CHECK_EQ(stats_now().blocking_threads, 0);
  return 0;
}

/* ---- shutdown step 4 ---- */

static slow_arg drain_arg;
static int leave_job_running(void *arg, void **result) {
  (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, call_slow, arg), 0);
  weft_detach(t);
  while (!weft__load_acquire(&((slow_arg *)arg)->started))
    weft_sleep_ms(5);
  return 0; /* main returns while the job runs */
}

int main(void) {
  RUN(t_result);
  RUN_WORKERS(t_result, 2);
  RUN(t_cancel);
  RUN_WORKERS(t_cancel, 2);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.blocking_threads = 1;
  cfg.workers = 1;
  fprintf(stderr, "-- t_cancel_queued\n");
  CHECK_EQ(weft_run(&cfg, t_cancel_queued, NULL, NULL), 0);

  cfg.blocking_threads = CAP;
  cfg.blocking_idle_seconds = 0.2;
  for (int w = 1; w <= 2; w++) {
    cfg.workers = w;
    weft__store_relaxed(&max_running, 0u);
    fprintf(stderr, "-- t_burst on %d worker(s)\n", w);
    CHECK_EQ(weft_run(&cfg, t_burst, NULL, NULL), 0);
  }

  /* Drained: the job (300 ms) finished before weft_run returned. */
  weft_config_init(&cfg);
  cfg.workers = 1;
  drain_arg.ms = 300;
  fprintf(stderr, "-- shutdown drains the pool\n");
  CHECK_EQ(weft_run(&cfg, leave_job_running, &drain_arg, NULL), 0);
  CHECK(weft__load_acquire(&drain_arg.finished));
  CHECK(weft__load_acquire(&drain_arg.released)); /* its task was cancelled */

  /* Detached: a 1.5 s job past a 0.2 s grace period. */
  static slow_arg long_arg;
  long_arg.ms = 1500;
  cfg.shutdown_grace = 0.2;
  fprintf(stderr, "-- shutdown detaches a job past the grace period\n");
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_run(&cfg, leave_job_running, &long_arg, NULL), 0);
  CHECK(weft_now_ns() - t0 < 1200 * MS);
  CHECK(!weft__load_acquire(&long_arg.finished));
  while (!weft__load_acquire(&long_arg.released)) /* it still completes */
    usleep(10000);
  CHECK_EQ(long_arg.release_code, 7);
  usleep(50000); /* its thread leaves and frees the lane */
  fprintf(stderr, "ok\n");
  return 0;
}
