/* rt/obs.c: observation's settings and lifecycle (see rt/obs.h). */
#include "rt/obs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt/alloc.h"
#include "rt/debug.h"

#define DEFAULT_TRACE_EVENTS ((uint64_t)1 << 16)
#define MAX_TRACE_EVENTS ((uint64_t)1 << 26)

static char *copy(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = weft__alloc(n);
  if (c)
    memcpy(c, s, n);
  return c;
}

static void free_str(char *s) {
  if (s)
    weft__free(s, strlen(s) + 1);
}

/* "1" and other non-"0" values turn a flag on, "0" off; unset or empty
 * leaves the field. */
static void env_flag(const char *name, bool *field) {
  const char *v = getenv(name);
  if (v && *v)
    *field = strcmp(v, "0") != 0;
}

int weft__obs_config(weft__runtime *rt) {
  weft_config *cfg = &rt->cfg;
  weft__obs *o = weft__calloc(sizeof *o);
  if (!o)
    return -ENOMEM;
  rt->obs = o;
  env_flag("WEFT_DEBUG", &cfg->debug);
  env_flag("WEFT_STATS", &cfg->print_stats);
  env_flag("WEFT_DUMP", &cfg->dump_on_sigquit);
  o->print_stats = cfg->print_stats;
  o->dump_on_sigquit = cfg->dump_on_sigquit;
  o->trace_events = cfg->trace_events;
  const char *v = getenv("WEFT_TRACE_EVENTS");
  if (v && *v) {
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n == 0)
      return -EINVAL;
    o->trace_events = n;
  }
  if (o->trace_events == 0)
    o->trace_events = DEFAULT_TRACE_EVENTS;
  if (o->trace_events > MAX_TRACE_EVENTS)
    return -EINVAL;
  const char *trace = getenv("WEFT_TRACE");
  if (!trace || !*trace)
    trace = cfg->trace_path;
  if (trace && *trace && !(o->trace_path = copy(trace)))
    return -ENOMEM;
  const char *top = getenv("WEFT_TOP");
  char pidpath[64];
  if (top && strcmp(top, "1") == 0) {
    snprintf(pidpath, sizeof pidpath, "/tmp/weft-%ld.sock", (long)getpid());
    top = pidpath;
  } else if (top && strcmp(top, "0") == 0) {
    top = NULL;
  } else if (!top || !*top) {
    top = cfg->top_socket;
  }
  if (top && *top && !(o->top_path = copy(top)))
    return -ENOMEM;
  return 0;
}

int weft__obs_start(weft__runtime *rt) {
  weft__obs *o = rt->obs;
  int err;
  if (rt->cfg.debug && weft__debug_handles_init(rt) != 0)
    return -ENOMEM;
  if (o->trace_path) {
#if defined(WEFT_NO_TRACE)
    fprintf(stderr, "weft: trace: this library was built with "
                    "-DWEFT_TRACE=OFF; no trace is written\n");
#else
    if ((err = weft__trace_start(rt, o->trace_events)))
      return err;
#endif
  }
  bool observed =
      rt->cfg.debug || o->trace_path || o->dump_on_sigquit || o->top_path;
  for (int i = 0; i < rt->nworkers; i++)
    rt->workers[i].debug = observed;
  if ((o->dump_on_sigquit || o->top_path) && (err = weft__inspect_start(rt)))
    return err;
  return 0;
}

void weft__obs_finish(weft__runtime *rt) {
  weft__obs *o = rt->obs;
  if (!o)
    return;
  weft__inspect_stop(rt);
  weft__debug_report_handles(rt, true);
#if !defined(WEFT_NO_TRACE)
  if (o->trace_path)
    weft__trace_finish(rt, o->trace_path);
#endif
  if (o->print_stats)
    weft__stats_table(rt, stderr);
}

void weft__obs_free(weft__runtime *rt) {
  weft__obs *o = rt->obs;
  if (!o)
    return;
  weft__debug_report_handles(rt, false); /* if finish never ran */
#if !defined(WEFT_NO_TRACE)
  if (rt->workers)
    weft__trace_finish(rt, NULL); /* frees buffers finish did not write */
#endif
  free_str(o->trace_path);
  free_str(o->top_path);
  weft__free(o, sizeof *o);
  rt->obs = NULL;
}
