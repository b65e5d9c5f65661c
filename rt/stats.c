/* rt/stats.c: the counters' public view (weft/stats.h), the shutdown table
 * and the text the weft-top socket serves. Counters are written by their
 * worker with atomic stores (WEFT__STAT_ADD) and read here with atomic
 * loads: no worker is stopped or slowed, each value is exact, and the set
 * is not one instant (a steal may show in one worker before the other). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt/current.h"
#include "rt/obs.h"

weft_runtime *weft_runtime_current(void) {
  weft__worker *w = weft__worker_current();
  return w ? (weft_runtime *)w->rt : NULL;
}

static weft__runtime *resolve(weft_runtime *rt_in) {
  if (rt_in)
    return (weft__runtime *)rt_in;
  weft__worker *w = weft__worker_current();
  return w ? w->rt : NULL;
}

static void read_worker(const weft__worker *w, weft_worker_stats *o) {
  const weft__worker_stats *s = &w->stats;
  *o = (weft_worker_stats){
      .tasks_run = weft__load_relaxed(&s->tasks_started),
      .switches = weft__load_relaxed(&s->tasks_run),
      .steals_tried = weft__load_relaxed(&s->steals_tried),
      .steals_won = weft__load_relaxed(&s->steals_won),
      .tasks_stolen = weft__load_relaxed(&s->tasks_stolen),
      .parks = weft__load_relaxed(&s->parks),
      .unparks = weft__load_relaxed(&s->unparks),
      .inject_pops = weft__load_relaxed(&s->inject_pops),
      .timers_fired = weft__load_relaxed(&s->timers_fired),
      .polls = weft__load_relaxed(&s->polls),
      .overflows = weft__load_relaxed(&s->overflows),
      .io_events = weft__load_relaxed(&s->io_events),
      .queue_depth = w->rt->asyncio_order ? 0 : weft__ring_len(&w->ring),
      .yields_moved = weft__load_relaxed(&s->yields_moved),
      .spins = weft__load_relaxed(&s->spins),
      .spins_woken = weft__load_relaxed(&s->spins_woken),
  };
}

static void read_runtime(weft__runtime *rt, weft_stats *o) {
  const weft__rt_stats *x = &rt->xstats;
  *o = (weft_stats){
      .workers = rt->nworkers,
      .live_tasks = weft__registry_count(rt),
      .inject_depth = weft__inject_len(&rt->inject),
      .monitor_rescues = weft__load_relaxed(&rt->monitor_rescues),
      .monitor_timers_fired = weft__load_relaxed(&rt->monitor_timers),
      .blocking_threads = weft__load_relaxed(&x->blocking_threads),
      .blocking_queue_depth = weft__load_relaxed(&x->blocking_queue_depth),
      .blocking_jobs = weft__load_relaxed(&x->blocking_jobs),
      .procpool_jobs = weft__load_relaxed(&x->procpool_jobs),
      .procpool_restarts = weft__load_relaxed(&x->procpool_restarts),
      .now_ns = weft_now_ns(),
  };
}

int weft_stats_get(weft_runtime *rt_in, weft_stats *out,
                   weft_worker_stats *workers, int n) {
  weft__runtime *rt = resolve(rt_in);
  if (!rt || n < 0 || (n > 0 && !workers))
    return -EINVAL;
  if (out)
    read_runtime(rt, out);
  for (int i = 0; i < n && i < rt->nworkers; i++)
    read_worker(&rt->workers[i], &workers[i]);
  return rt->nworkers;
}

/* The columns of the table and of the socket's text, in one place. */
#define COLUMNS(X)                                                             \
  X(tasks_run)                                                                 \
  X(switches)                                                                  \
  X(steals_tried)                                                              \
  X(steals_won)                                                                \
  X(tasks_stolen)                                                              \
  X(parks)                                                                     \
  X(unparks)                                                                   \
  X(inject_pops)                                                               \
  X(timers_fired)                                                              \
  X(polls)                                                                     \
  X(overflows)                                                                 \
  X(io_events)                                                                 \
  X(queue_depth)                                                               \
  X(yields_moved)                                                              \
  X(spins)                                                                     \
  X(spins_woken)

int weft__stats_snapshot(weft__runtime *rt, FILE *f) {
  weft_stats s;
  read_runtime(rt, &s);
  fprintf(f,
          "weft pid=%ld workers=%d live_tasks=%" PRIu64 " inject_depth=%" PRIu64
          " monitor_rescues=%" PRIu64 " monitor_timers_fired=%" PRIu64
          " blocking_threads=%" PRIu64 " blocking_queue_depth=%" PRIu64
          " blocking_jobs=%" PRIu64 " procpool_jobs=%" PRIu64
          " procpool_restarts=%" PRIu64 " now_ns=%" PRId64 "\n",
          (long)getpid(), s.workers, s.live_tasks, s.inject_depth,
          s.monitor_rescues, s.monitor_timers_fired, s.blocking_threads,
          s.blocking_queue_depth, s.blocking_jobs, s.procpool_jobs,
          s.procpool_restarts, s.now_ns);
  for (int i = 0; i < rt->nworkers; i++) {
    weft_worker_stats w;
    read_worker(&rt->workers[i], &w);
    fprintf(f, "worker=%d", i);
#define X(c) fprintf(f, " " #c "=%" PRIu64, w.c);
    COLUMNS(X)
#undef X
    fputc('\n', f);
  }
  fprintf(f, "end\n");
  return 0;
}

void weft__stats_table(weft__runtime *rt, FILE *f) {
  weft_stats s;
  read_runtime(rt, &s);
  fprintf(f,
          "weft: stats: %d worker%s, %" PRIu64 " monitor rescues (%" PRIu64
          " timers fired by the monitor)\n",
          s.workers, s.workers == 1 ? "" : "s", s.monitor_rescues,
          s.monitor_timers_fired);
  fprintf(f, "%-6s", "worker");
#define X(c) fprintf(f, " %12s", #c);
  COLUMNS(X)
#undef X
  fputc('\n', f);
  weft_worker_stats total = {0};
  for (int i = 0; i < rt->nworkers; i++) {
    weft_worker_stats w;
    read_worker(&rt->workers[i], &w);
    fprintf(f, "%-6d", i);
#define X(c) fprintf(f, " %12" PRIu64, w.c), total.c += w.c;
    COLUMNS(X)
#undef X
    fputc('\n', f);
  }
  fprintf(f, "%-6s", "total");
#define X(c) fprintf(f, " %12" PRIu64, total.c);
  COLUMNS(X)
#undef X
  fputc('\n', f);
}

/* Formats into memory, then writes: no lock or worker waits on fd. */
static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t r = write(fd, p, n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int weft_stats_print(weft_runtime *rt_in, int fd) {
  weft__runtime *rt = resolve(rt_in);
  if (!rt || fd < 0)
    return -EINVAL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return -ENOMEM;
  weft__stats_table(rt, f);
  if (fclose(f) != 0) {
    free(buf);
    return -ENOMEM;
  }
  int err = write_all(fd, buf, len);
  free(buf);
  return err;
}

int weft_dump_tasks(weft_runtime *rt_in, int fd) {
  weft__runtime *rt = resolve(rt_in);
  if (!rt || fd < 0)
    return -EINVAL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return -ENOMEM;
  int n = weft__dump_tasks(rt, f);
  if (fclose(f) != 0) {
    free(buf);
    return -ENOMEM;
  }
  int err = n < 0 ? n : write_all(fd, buf, len);
  free(buf);
  return err ? err : n;
}
