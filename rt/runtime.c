/*
 * rt/runtime.c: weft_run (asyncio.run), the configuration, and the start
 * and stop order of a runtime.
 *
 * Start: validate the config; make the stack pool, the inject queue and the
 * workers (driver, timers, caches); install the guard-page handler; make the
 * main task and queue it on worker 0; start the worker threads.
 * Stop (DESIGN 4.4; steps 1-3 run in the worker loop, rt/worker.c):
 *  1. the main task returns (weft_run), or weft_runtime_free asks;
 *  2. every remaining task is cancelled;
 *  3. the workers run until those tasks finish, or the grace period passes
 *     and the stragglers are reported by name and spawn site;
 *  4. the signal thread stops, then the blocking pool runs its queue and
 *     its threads are joined, or detached when the grace period has passed
 *     (rt/blocking.c);
 *  5. the process pool's workers and zygote are killed and reaped
 *     (io/procpool.c, through rt/blocking.h's seam);
 *  6. the worker threads are joined;
 *  7. timers, queues, stacks and task memory are freed; stragglers' task
 *     objects are freed with them (their stacks are never resumed).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/blocking.h"
#include "rt/current.h"
#include "rt/debug.h"
#include "rt/guard.h"
#include "rt/monitor.h"
#include "rt/obs.h"
#include "rt/signal.h"
#include "rt/topo.h"
#include "rt/worker.h"

#if defined(WEFT_SANITIZER)
#define DEFAULT_STACK ((size_t)256 * 1024)
#else
#define DEFAULT_STACK ((size_t)64 * 1024)
#endif

void weft_config_init(weft_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->workers = 0;
  cfg->stack_size = 0;
  cfg->shutdown_grace = 5.0;
  cfg->debug = false;
  cfg->slow_task_seconds = 0.1;
  cfg->pin = false; /* measured: see weft_config.pin */
}

static int validate(const weft_config *cfg, size_t *stack) {
  if (cfg->workers < 0 || cfg->workers > WEFT_MAX_WORKERS ||
      !(cfg->shutdown_grace >= 0) || cfg->shutdown_grace > 86400.0 ||
      !(cfg->slow_task_seconds >= 0))
    return -EINVAL;
  *stack = DEFAULT_STACK;
  if (cfg->stack_size) {
    if (cfg->stack_size < WEFT_STACK_MIN ||
        !weft__stack_class_size(cfg->stack_size))
      return -EINVAL;
    *stack = cfg->stack_size;
  }
  return 0;
}

/* The worker count: the config's, else WEFT_WORKERS, else one per
 * processing unit the process may run on. Returns -EINVAL for a bad
 * WEFT_WORKERS. */
static int worker_count(const weft_config *cfg, const weft__topo *topo) {
  if (cfg->workers > 0)
    return cfg->workers;
  const char *env = getenv("WEFT_WORKERS");
  if (env && *env) {
    char *end;
    long n = strtol(env, &end, 10);
    if (*end || n < 1 || n > WEFT_MAX_WORKERS)
      return -EINVAL;
    return (int)n;
  }
  if (topo)
    return weft__topo_default_workers(topo);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  return 1;
}

static bool want_pinning(const weft_config *cfg, int nworkers) {
  const char *env = getenv("WEFT_PIN");
  bool pin = cfg->pin;
  if (env && *env)
    pin = strcmp(env, "0") != 0;
  return pin && nworkers > 1;
}

static void *worker_thread(void *arg) {
  weft__worker *w = arg;
  weft__runtime *rt = w->rt;
  if (rt->pin && rt->topo) {
    int err = weft__topo_bind_thread(rt->topo, w->index);
    if (err && rt->cfg.debug)
      fprintf(stderr, "weft: debug: worker %d runs unpinned (%s)\n", w->index,
              weft_strerror(err));
  }
  void *alt = NULL;
  int err = weft__guard_thread_init(&alt);
  if (err)
    fprintf(stderr, "weft: worker %d: no alternate signal stack (%s)\n",
            w->index, weft_strerror(err));
  weft__worker_loop(w);
  weft__guard_thread_fini(alt);
  return NULL;
}

static void worker_fini(weft__worker *w) {
  weft__inject_fini(&w->inbox);
  weft__timers_fini(&w->timers); /* drops the entries' task references */
  weft__task_pool_drain(w);
  if (w->overflow) {
    uint32_t cap = weft__ring_capacity(&w->ring);
    weft__ring_fini(&w->ring);
    weft__free(w->overflow, cap / 2 * sizeof(weft_task *));
    weft__free(w->grab, cap / 2 * sizeof(weft_task *));
    weft__free(w->victims, (size_t)w->rt->nworkers * sizeof *w->victims);
  }
  weft__stack_cache_flush(&w->stacks, &w->rt->stacks);
#if defined(WEFT_TSAN)
  weft__fiber_cache_flush(w);
#endif
  weft__driver_close(w->driver);
}

static void runtime_free(weft__runtime *rt) {
  weft__signals_close(rt); /* executors: a failed start */
  weft__blocking_stop(rt, weft_now_ns());
  for (int i = 0; rt->workers && i < rt->nworkers; i++)
    if (rt->workers[i].driver)
      worker_fini(&rt->workers[i]);
  /* Stragglers: abandoned, never resumed; free what they hold. */
  for (int i = 0; i < rt->nshards; i++) {
    weft_task *t = rt->shards[i].head;
    while (t) {
      weft_task *next = t->reg_next;
      t->magic = WEFT__TASK_FREED; /* main too, if it never finished */
      weft__task_free_name(t);
      weft__free_task(t, sizeof *t);
      t = next;
    }
  }
  weft__registry_fini(rt);
  weft__obs_free(rt);
  weft__free(rt->workers, (size_t)rt->nworkers * sizeof *rt->workers);
  if (rt->idle.sleepers)
    weft__idle_fini(&rt->idle);
  weft__topo_close(rt->topo);
  weft__stack_pool_fini(&rt->stacks);
  weft__inject_fini(&rt->inject);
  weft__free(rt, sizeof *rt);
}

static int worker_init(weft__runtime *rt, int i) {
  weft__worker *w = &rt->workers[i];
  w->rt = rt;
  w->index = i;
  w->debug = rt->cfg.debug;
  w->rand = (uint32_t)i * 2654435761u + 1;
  weft__runq_init(&w->runq);
  weft__runq_init(&w->pinned);
  weft__runq_init(&w->yielded);
  weft__inject_init(&w->inbox);
  weft__timers_init(&w->timers);
  weft__stack_cache_init(&w->stacks);
  int err = weft__driver_open(&w->driver);
  if (err || rt->asyncio_order)
    return err;
  err = weft__ring_init(&w->ring, 0);
  if (err)
    return err;
  uint32_t cap = weft__ring_capacity(&w->ring);
  w->overflow = weft__alloc(cap / 2 * sizeof(weft_task *));
  w->grab = weft__alloc(cap / 2 * sizeof(weft_task *));
  w->victims = weft__alloc((size_t)rt->nworkers * sizeof *w->victims);
  if (!w->overflow || !w->grab || !w->victims)
    return -ENOMEM;
  if (!rt->topo ||
      weft__topo_victims(rt->topo, i, rt->nworkers, (uint32_t)i * 2654435761u,
                         w->victims) != 0) {
    for (int k = 1; k < rt->nworkers; k++) /* the others, round-robin */
      w->victims[k - 1] = (i + k) % rt->nworkers;
  }
  return 0;
}

/* Everything up to the worker threads. */
static int runtime_create(const weft_config *cfg_in, weft__runtime **out,
                          bool run) {
  weft_config cfg;
  if (cfg_in)
    cfg = *cfg_in;
  else
    weft_config_init(&cfg);
  size_t stack;
  int err = validate(&cfg, &stack);
  if (err)
    return err;
  err = weft__guard_install();
  if (err)
    return err;
  weft__runtime *rt = weft__calloc(sizeof *rt);
  if (!rt)
    return -ENOMEM;
  rt->cfg = cfg;
  /* As a class size, so that spawns need not round it (rt/stack.h). */
  rt->stack_size = weft__stack_class_size(stack);
  weft__stack_pool_init(&rt->stacks);
  weft__inject_init(&rt->inject);
  if ((err = weft__obs_config(rt))) /* the environment's WEFT_DEBUG, ... */
    goto fail;
  if (weft__topo_open(&rt->topo) != 0)
    rt->topo = NULL; /* no topology: count CPUs, do not pin */
  err = worker_count(&cfg, rt->topo);
  if (err < 0)
    goto fail;
  rt->nworkers = err;
  rt->asyncio_order = rt->nworkers == 1;
  if ((err = weft__registry_init(rt)))
    goto fail;
  rt->pin = want_pinning(&cfg, rt->nworkers);
  rt->spin_ns = weft__spin_setting(&cfg, rt->nworkers); /* before the pool */
  if (rt->spin_ns < 0) {
    err = (int)rt->spin_ns;
    goto fail;
  }
  rt->workers = weft__calloc((size_t)rt->nworkers * sizeof *rt->workers);
  if (!rt->workers) {
    err = -ENOMEM;
    goto fail;
  }
  if (!rt->asyncio_order &&
      (err = weft__idle_init(&rt->idle, (uint32_t)rt->nworkers)))
    goto fail;
  for (int i = 0; i < rt->nworkers; i++) {
    err = worker_init(rt, i);
    if (err)
      goto fail;
  }
  /* Executors: before obs_start makes the first thread (signal masks). */
  if ((err = weft__blocking_start(rt)) || (err = weft__signals_open(rt, run)))
    goto fail;
  if ((err = weft__obs_start(rt)))
    goto fail;
  *out = rt;
  return 0;
fail:
  runtime_free(rt);
  return err;
}

/* Starts the worker threads. Returns how many started (at least one) or a
 * negative code. Fewer threads than workers (a failed pthread_create) still
 * completes: the missing workers' queues are stolen from. */
static int runtime_start(weft__runtime *rt) {
  int started = 0;
  int err = 0;
  for (; started < rt->nworkers; started++) {
    err = -pthread_create(&rt->workers[started].thread, NULL, worker_thread,
                          &rt->workers[started]);
    if (err)
      break;
  }
  rt->started = started;
  /* Without a monitor a stuck worker's timers wait for it: not fatal. Debug
   * mode's slow-task reports need it even with one worker. */
  if (started && (!rt->asyncio_order || rt->cfg.debug) &&
      weft__monitor_start(rt) != 0 && rt->cfg.debug)
    fprintf(stderr, "weft: debug: no monitor thread\n");
  if (started && weft__signals_start(rt) != 0)
    fprintf(stderr, "weft: no signal thread: signals stay pending\n");
  return started ? started : err;
}

static void runtime_join(weft__runtime *rt) {
  for (int i = 0; i < rt->started; i++)
    pthread_join(rt->workers[i].thread, NULL);
  /* Shutdown step 4 (rt/blocking.c): the pool gets what is left of the
   * grace period. */
  weft__signals_close(rt);
  int64_t grace = weft__load_relaxed(&rt->grace_deadline);
  if (grace == 0)
    grace = weft_now_ns() + (int64_t)(rt->cfg.shutdown_grace * 1e9);
  weft__blocking_stop(rt, grace);
  /* Step 5: the process pool (io/procpool.c, rt/blocking.h's seam). */
  weft__procpool_stop(rt);
  weft__monitor_stop(rt); /* shutdown step 6 */
  weft__obs_finish(rt);   /* reports, the trace, the stats table */
}

int weft_run(const weft_config *cfg, weft_fn main_fn, void *arg,
             void **result) {
  if (!main_fn)
    return -EINVAL;
  if (weft__worker_current())
    return -EDEADLK;
  weft__runtime *rt;
  int err = runtime_create(cfg, &rt, true);
  if (err)
    return err;
  err = weft__task_new(rt, main_fn, arg, &(weft_spawn_opts){.name = "main"},
                       "weft_run", 0, NULL, NULL, &rt->main);
  if (err)
    goto fail;
  /* Before any worker thread exists: thread creation hands it over. */
  if (rt->asyncio_order)
    weft__runq_push(&rt->workers[0].runq, rt->main);
  else if (!weft__ring_push(&rt->workers[0].ring, rt->main))
    WEFT_PANIC("an empty ring refused a task");
  err = runtime_start(rt);
  if (err < 0) {
    weft__registry_remove(rt, rt->main);
    weft__task_free_name(rt->main);
    weft__free(rt->main, sizeof *rt->main);
    rt->main = NULL;
    goto fail;
  }
  runtime_join(rt);

  weft_task *m = rt->main;
  bool done = weft__load_acquire(&m->state) & WEFT__T_DONE;
  int code = done ? m->code : -ECANCELED;
  if (result)
    *result = done && code == 0 ? m->result : NULL;
  if (done)
    weft__task_unref(m); /* the handle; "alive" was dropped at finish */
  if (weft__load_acquire(&rt->sigint_stop))
    code = -EINTR; /* a SIGINT stopped it (rt/signal.c) */
  runtime_free(rt);
  return code;

fail:
  runtime_free(rt);
  return err;
}

/* ---- a runtime driven from plain threads --------------------------------- */

int weft_runtime_new(weft_runtime **out, const weft_config *cfg) {
  if (!out)
    return -EINVAL;
  if (weft__worker_current())
    return -EDEADLK;
  weft__runtime *rt;
  int err = runtime_create(cfg, &rt, false);
  if (err)
    return err;
  err = runtime_start(rt);
  if (err < 0) {
    runtime_free(rt);
    return err;
  }
  *out = (weft_runtime *)rt;
  return 0;
}

int weft_runtime_free(weft_runtime *rt_handle) {
  weft__runtime *rt = (weft__runtime *)rt_handle;
  if (!rt)
    return -EINVAL;
  weft__worker *self = weft__worker_current();
  if (self && self->rt == rt)
    return -EDEADLK;
  /* Shutdown steps 2-3 run in the workers once they see the request. */
  weft__store_release(&rt->stop_requested, 1u);
  for (int i = 0; i < rt->nworkers; i++)
    weft__driver_wake(rt->workers[i].driver);
  runtime_join(rt);
  runtime_free(rt);
  return 0;
}

int weft_runtime_spawn_at(weft_runtime *rt_handle, weft_task **out, weft_fn fn,
                          void *arg, const weft_spawn_opts *opts,
                          const char *file, int line) {
  weft__runtime *rt = (weft__runtime *)rt_handle;
  if (!rt || !out || !fn)
    return -EINVAL;
  if (weft__load_acquire(&rt->stop_requested))
    return -ESHUTDOWN;
  weft_spawn_opts o = opts ? *opts : (weft_spawn_opts){0};
  o.eager = false; /* eager needs a spawning task to run inside */
  int err = weft__task_new(rt, fn, arg, &o, file, line, NULL, NULL, out);
  if (err)
    return err;
  if (rt->cfg.debug)
    weft__debug_track_handle(*out);
  weft__sched_push(*out);
  return 0;
}

int weft_runtime_call_soon_threadsafe(weft_runtime *rt, weft_fn fn, void *arg) {
  weft_task *t;
  int err = weft_runtime_spawn_at(rt, &t, fn, arg, NULL, "call_soon", 0);
  if (err)
    return err;
  weft_detach(t);
  return 0;
}

typedef struct block_on_call {
  weft_fn fn;
  void *arg;
  void *result;
  int code;
  bool done; /* under lock */
  pthread_mutex_t lock;
  pthread_cond_t cond;
} block_on_call;

static int block_on_body(void *arg, void **result) {
  block_on_call *c = arg;
  void *r = NULL;
  int code = c->fn(c->arg, &r);
  pthread_mutex_lock(&c->lock);
  c->result = r;
  c->code = code;
  c->done = true;
  pthread_cond_signal(&c->cond);
  pthread_mutex_unlock(&c->lock);
  (void)result;
  return code;
}

int weft_runtime_block_on(weft_runtime *rt, weft_fn fn, void *arg,
                          void **result) {
  if (!rt || !fn)
    return -EINVAL;
  if (weft__worker_current())
    return -EDEADLK;
  block_on_call c = {
      .fn = fn, .arg = arg, .result = NULL, .code = 0, .done = false};
  pthread_mutex_init(&c.lock, NULL);
  pthread_cond_init(&c.cond, NULL);
  weft_task *t;
  int err = weft_runtime_spawn_at(rt, &t, block_on_body, &c,
                                  &(weft_spawn_opts){.name = "block_on"},
                                  "weft_runtime_block_on", 0);
  if (!err) {
    pthread_mutex_lock(&c.lock);
    while (!c.done)
      pthread_cond_wait(&c.cond, &c.lock);
    pthread_mutex_unlock(&c.lock);
    /* The task may still be on its way out: wait until it has finished
     * before c (on this stack) goes away. */
    while (weft_task_state_of(t) == WEFT_TASK_PENDING)
      sched_yield();
    weft_detach(t);
    err = c.code;
    if (result)
      *result = err == 0 ? c.result : NULL;
  }
  pthread_cond_destroy(&c.cond);
  pthread_mutex_destroy(&c.lock);
  return err;
}
