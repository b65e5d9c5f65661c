/*
 * rt/runtime.c: weft_run (asyncio.run), the configuration, and the start
 * and stop order of a runtime.
 *
 * Start: validate the config; make the stack pool, the inject queue and the
 * workers (driver, timers, caches); install the guard-page handler; make the
 * main task and queue it on worker 0; start the worker threads.
 * Stop (DESIGN 4.4; steps 1-3 run in the worker loop, rt/worker.c):
 *  1. the main task returns;
 *  2. every remaining task is cancelled;
 *  3. the workers run until those tasks finish, or the grace period passes
 *     and the stragglers are reported by name and spawn site;
 *  4-5. (the blocking and process pools arrive with the executors issue);
 *  6. the worker threads are joined;
 *  7. timers, queues, stacks and task memory are freed; stragglers' task
 *     objects are freed with them (their stacks are never resumed).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/current.h"
#include "rt/guard.h"
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
}

static int validate(const weft_config *cfg, size_t *stack) {
  if (cfg->workers < 0 || !(cfg->shutdown_grace >= 0) ||
      cfg->shutdown_grace > 86400.0 || !(cfg->slow_task_seconds >= 0))
    return -EINVAL;
  if (cfg->workers > 1)
    return -ENOTSUP;
  *stack = DEFAULT_STACK;
  if (cfg->stack_size) {
    if (cfg->stack_size < WEFT_STACK_MIN ||
        !weft__stack_class_size(cfg->stack_size))
      return -EINVAL;
    *stack = cfg->stack_size;
  }
  return 0;
}

static void *worker_thread(void *arg) {
  weft__worker *w = arg;
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
  weft__timers_fini(&w->timers); /* drops the entries' task references */
  weft__task_pool_drain(w);
  weft__stack_cache_flush(&w->stacks, &w->rt->stacks);
  weft__driver_close(w->driver);
}

static void runtime_free(weft__runtime *rt) {
  for (int i = 0; rt->workers && i < rt->nworkers; i++)
    if (rt->workers[i].driver)
      worker_fini(&rt->workers[i]);
  /* Stragglers: abandoned, never resumed; free what they hold. */
  weft_task *t = rt->tasks;
  while (t) {
    weft_task *next = t->reg_next;
    if (t != rt->main) {
      t->magic = WEFT__TASK_FREED;
      weft__free(t, sizeof *t);
    }
    t = next;
  }
  weft__free(rt->workers, (size_t)rt->nworkers * sizeof *rt->workers);
  weft__stack_pool_fini(&rt->stacks);
  weft__inject_fini(&rt->inject);
  weft__free(rt, sizeof *rt);
}

int weft_run(const weft_config *cfg_in, weft_fn main_fn, void *arg,
             void **result) {
  if (!main_fn)
    return -EINVAL;
  if (weft__worker_current())
    return -EDEADLK;
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
  rt->stack_size = stack;
  rt->nworkers = 1;
  rt->asyncio_order = rt->nworkers == 1;
  weft__stack_pool_init(&rt->stacks);
  weft__inject_init(&rt->inject);
  rt->tasks_lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
  rt->workers = weft__calloc((size_t)rt->nworkers * sizeof *rt->workers);
  if (!rt->workers) {
    err = -ENOMEM;
    goto fail;
  }
  for (int i = 0; i < rt->nworkers; i++) {
    weft__worker *w = &rt->workers[i];
    w->rt = rt;
    w->index = i;
    w->debug = cfg.debug;
    weft__runq_init(&w->runq);
    weft__timers_init(&w->timers);
    weft__stack_cache_init(&w->stacks);
    err = weft__driver_open(&w->driver);
    if (err)
      goto fail;
  }
  err = weft__task_new(rt, main_fn, arg, &(weft_spawn_opts){.name = "main"},
                       "weft_run", 0, &rt->main);
  if (err)
    goto fail;
  weft__runq_push(&rt->workers[0].runq, rt->main);

  err = -pthread_create(&rt->workers[0].thread, NULL, worker_thread,
                        &rt->workers[0]);
  if (err) {
    weft__registry_remove(rt, rt->main);
    weft__free(rt->main, sizeof *rt->main);
    rt->main = NULL;
    goto fail;
  }
  pthread_join(rt->workers[0].thread, NULL);

  weft_task *m = rt->main;
  bool done = weft__load_acquire(&m->state) & WEFT__T_DONE;
  int code = done ? m->code : -ECANCELED;
  if (result)
    *result = done && code == 0 ? m->result : NULL;
  if (done)
    weft__task_unref(m); /* the handle; "alive" was dropped at finish */
  runtime_free(rt);
  return code;

fail:
  runtime_free(rt);
  return err;
}
