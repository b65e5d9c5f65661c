/*
 * rt/dump.c: the task dump (weft_dump_tasks; SIGQUIT and the weft-top
 * socket through rt/inspect.c).
 *
 * Tasks may finish and be freed while the dump runs, so it reads them only
 * under the registry lock: a task is in the registry from its spawn until
 * it finishes, and its memory is freed only after it left the registry.
 * Under the lock the dump copies each task's fields into a row (atomic
 * loads for what its worker writes: the state word, the wait description,
 * the worker), and resolves "await task X" by looking X up among the
 * registered tasks (a sorted copy of their addresses); an X not found has
 * finished, and is not dereferenced. Formatting happens after the unlock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/obs.h"

typedef struct row {
  const weft_task *task; /* for the lookup only: not read after unlock */
  char what[160];        /* "task 'x' (spawned at f:l)" */
  char awaited[160];     /* for an await: X described, or "" (finished) */
  uint32_t state;        /* RUNNING cleared if it has not run yet: "queued" */
  int16_t worker;
  uint8_t kind;
  const char *wait_what;
  uint64_t wait_arg;
} row;

static int by_address(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (const weft_task *const *)a;
  uintptr_t y = (uintptr_t) * (const weft_task *const *)b;
  return x < y ? -1 : x > y;
}

static bool registered(const weft_task **sorted, size_t n, const void *t) {
  return bsearch(&t, sorted, n, sizeof(const weft_task *), by_address) != NULL;
}

/* Is t the task a worker of rt runs now? A snapshot, as the whole dump:
 * relaxed loads of each worker's current task (stored atomically for this
 * in rt/run.c). */
static bool running_now(const weft__runtime *rt, const weft_task *t) {
  for (int i = 0; i < rt->nworkers; i++)
    if (weft__load_relaxed(&rt->workers[i].current) == t)
      return true;
  return false;
}

/* Under the registry's locks: the rows of up to cap tasks. Returns the number
 * of live tasks (more than cap: call again with more room). */
static size_t collect(weft__runtime *rt, row *rows, const weft_task **sorted,
                      size_t cap) {
  size_t n = 0;
  for (weft_task *t = weft__registry_first(rt); t;
       t = weft__registry_next(rt, t)) {
    size_t i = n++;
    if (i >= cap)
      continue;
    row *r = &rows[i];
    r->task = t;
    sorted[i] = t;
    weft__task_describe(t, r->what, sizeof r->what);
    r->state = weft__load_acquire(&t->state);
    /* SCHEDULED|RUNNING: queued (spawned, woken) or running since
     * (rt/task.c, "spawn"): running only if a worker runs it now. */
    if ((r->state & WEFT__T_SCHEDULED) && !running_now(rt, t))
      r->state &= ~(uint32_t)WEFT__T_RUNNING;
    r->worker = weft__load_relaxed(&t->worker);
    r->wait_what = weft__load_relaxed(&t->wait_what);
    r->kind = weft__load_relaxed(&t->wait_kind);
    r->wait_arg = weft__load_relaxed(&t->wait_arg);
    r->awaited[0] = '\0';
  }
  size_t m = n < cap ? n : cap; /* an await of an unlisted task: finished */
  qsort(sorted, m, sizeof(const weft_task *), by_address);
  for (size_t i = 0; i < m; i++) {
    row *r = &rows[i];
    const weft_task *x = (const weft_task *)(uintptr_t)r->wait_arg;
    if (r->wait_what && r->kind == WEFT__WAIT_TASK && registered(sorted, m, x))
      weft__task_describe(x, r->awaited, sizeof r->awaited);
  }
  return n;
}

static void print_wait(FILE *f, const row *r, int64_t now) {
  fprintf(f, ", waits on: %s", r->wait_what);
  switch (r->kind) {
  case WEFT__WAIT_TASK:
    if (r->awaited[0])
      fprintf(f, " %s", r->awaited);
    else
      fprintf(f, " a task that has finished");
    break;
  case WEFT__WAIT_DEADLINE:
    if ((int64_t)r->wait_arg > now)
      fprintf(f, ", %.3f s left", (double)((int64_t)r->wait_arg - now) / 1e9);
    else
      fprintf(f, ", due now");
    break;
  case WEFT__WAIT_COUNT:
    fprintf(f, ", %llu left", (unsigned long long)r->wait_arg);
    break;
  default:
    break;
  }
}

static void print_row(FILE *f, const row *r, int64_t now) {
  uint32_t s = r->state;
  fprintf(f, "  %s: ", r->what);
  if (s & WEFT__T_RUNNING)
    fprintf(f, "running");
  else if (s & WEFT__T_SCHEDULED)
    fprintf(f, "queued");
  else
    fprintf(f, "suspended");
  if (r->worker >= 0)
    fprintf(f, " %s worker %d", s & WEFT__T_RUNNING ? "on" : "(last on",
            r->worker);
  if (r->worker >= 0 && !(s & WEFT__T_RUNNING))
    fputc(')', f);
  if (s & WEFT__T_CANCEL)
    fprintf(f, ", cancel pending");
  if (!(s & (WEFT__T_RUNNING | WEFT__T_SCHEDULED)) && r->wait_what)
    print_wait(f, r, now);
  fputc('\n', f);
}

int weft__dump_tasks(weft__runtime *rt, FILE *f) {
  size_t cap = weft__registry_count(rt) + 64;
  for (int attempt = 0;; attempt++) {
    row *rows = malloc(cap * sizeof *rows);
    const weft_task **sorted = malloc(cap * sizeof(const weft_task *));
    if (!rows || !sorted) {
      free(rows);
      free(sorted);
      return -ENOMEM;
    }
    weft__registry_lock_all(rt);
    size_t n = collect(rt, rows, sorted, cap);
    weft__registry_unlock_all(rt);
    if (n > cap && attempt < 8) { /* more tasks than room: again */
      free(rows);
      free(sorted);
      cap = n + n / 2 + 64;
      continue;
    }
    size_t shown = n < cap ? n : cap;
    int64_t now = weft_now_ns();
    fprintf(f, "weft: task dump: %zu live task%s, %d worker%s\n", n,
            n == 1 ? "" : "s", rt->nworkers, rt->nworkers == 1 ? "" : "s");
    for (size_t i = 0; i < shown; i++)
      print_row(f, &rows[i], now);
    if (shown < n)
      fprintf(f, "  (%zu more not shown: they kept being spawned)\n",
              n - shown);
    free(rows);
    free(sorted);
    return (int)n;
  }
}
