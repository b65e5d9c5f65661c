/*
 * ordering: awaiting a coroutine versus awaiting a task.
 *
 * The weft side of the asyncio pair in "A Conceptual Overview of asyncio"
 * (tests/conformance/await_coroutines.py and await_tasks.py):
 *
 *   async def await_coroutines_a():         async def await_tasks_a():
 *       task_b = create_task(coro_b())          task_b = create_task(coro_b())
 *       for _ in range(3):                      tasks_a =
 * [create_task(coro_a()) await coro_a()                                 for _
 * in range(3)] await task_b                            for task_a in tasks_a:
 *                                                   await task_a
 *                                               await task_b
 *
 * In weft, `await coro` is a plain function call: it runs inline and never
 * yields, so task_b, queued first, runs only when main awaits it. Awaiting a
 * task yields to the worker, which runs the ready tasks in spawn order, so
 * task_b runs first. Each part is one weft_run(), as each asyncio program is
 * one asyncio.run(); under the heading, the lines are asyncio's.
 */
#include <weft.h>

#include <stdio.h>

/* async def coro_a(): a coroutine, so in C a plain function. */
static void coro_a(void) { printf("I am coro_a(). Hi!\n"); }

/* The body of a task running coro_a() or coro_b(). */
static int coro_a_task(void *arg, void **result) {
  (void)arg, (void)result;
  coro_a();
  return 0;
}

static int coro_b_task(void *arg, void **result) {
  (void)arg, (void)result;
  printf("I am coro_b(). I sure hope no one hogs the event loop...\n");
  return 0;
}

static int await_coroutines_a(void *arg, void **result) {
  (void)arg, (void)result;
  printf("== await coroutines: coro_a runs inline, task_b last\n");
  weft_task *task_b;
  int rc = weft_spawn(&task_b, coro_b_task, NULL);
  if (rc < 0) {
    return rc;
  }
  for (int i = 0; i < 3; i++) {
    coro_a();
  }
  rc = weft_await(task_b, NULL);
  weft_detach(task_b);
  return rc;
}

static int await_tasks_a(void *arg, void **result) {
  (void)arg, (void)result;
  printf("== await tasks: task_b was queued first and runs first\n");
  weft_task *task_b;
  weft_task *tasks_a[3];
  int rc = weft_spawn(&task_b, coro_b_task, NULL);
  if (rc < 0) {
    return rc;
  }
  int n = 0;
  while (n < 3 && rc == 0) {
    rc = weft_spawn(&tasks_a[n], coro_a_task, NULL);
    n += rc == 0;
  }
  for (int i = 0; i < n; i++) {
    int arc = weft_await(tasks_a[i], NULL);
    rc = rc < 0 ? rc : arc;
    weft_detach(tasks_a[i]);
  }
  int brc = weft_await(task_b, NULL);
  weft_detach(task_b);
  return rc < 0 ? rc : brc;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1; /* one worker: asyncio's order, line for line */
  weft_fn parts[] = {await_coroutines_a, await_tasks_a};
  for (int i = 0; i < 2; i++) {
    int rc = weft_run(&cfg, parts[i], NULL, NULL);
    if (rc < 0) {
      fprintf(stderr, "ordering: %s\n", weft_strerror(rc));
      return 1;
    }
  }
  return 0;
}
