/* rt/trace.c: the per-worker trace buffers and the JSON writer (see
 * rt/trace.h for what is recorded and why this way). */
#include "rt/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/worker.h"

#define NAME_LEN 40

typedef struct trace_ev {
  int64_t ts, dur; /* ns, weft_now_ns's clock */
  int64_t a, b;
  const char *file; /* a spawn site: a string literal */
  int32_t line;
  uint8_t kind;
  char name[NAME_LEN]; /* the task's name, copied (it may be gone later) */
} trace_ev;

typedef struct weft__trace_buf {
  uint64_t len, cap, dropped; /* owner; read after the join */
  trace_ev ev[];
} weft__trace_buf;

void weft__trace_add(weft__worker *w, int kind, int64_t a, int64_t b,
                     const weft_task *t, int64_t start, int64_t dur) {
  weft__trace_buf *buf = w->trace_buf;
  if (buf->len == buf->cap) {
    buf->dropped++;
    return;
  }
  trace_ev *e = &buf->ev[buf->len++];
  e->ts = start ? start : weft_now_ns();
  e->dur = dur;
  e->a = a;
  e->b = b;
  e->kind = (uint8_t)kind;
  e->file = NULL;
  e->line = 0;
  e->name[0] = '\0';
  if (t) {
    e->file = t->file;
    e->line = t->line;
    if (t->name)
      snprintf(e->name, sizeof e->name, "%s", t->name);
  }
}

int weft__trace_start(weft__runtime *rt, uint64_t cap) {
  for (int i = 0; i < rt->nworkers; i++) {
    weft__worker *w = &rt->workers[i];
    w->trace_buf = weft__alloc(sizeof *w->trace_buf + cap * sizeof(trace_ev));
    if (!w->trace_buf)
      return -ENOMEM;
    w->trace_buf->len = 0;
    w->trace_buf->cap = cap;
    w->trace_buf->dropped = 0;
    w->trace = true;
    w->debug = true; /* the switch hooks make the run slices */
  }
  return 0;
}

/* A JSON string body: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s) {
  const char *p = s;
  while (*p && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
    p++;
  if (!*p) { /* the common case: nothing to escape */
    fputs_unlocked(s, f);
    return;
  }
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      putc_unlocked('\\', f);
      putc_unlocked((int)c, f);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else {
      putc_unlocked((int)c, f);
    }
  }
}

/* Nanoseconds as microseconds with three decimals ("ts" and "dur" are in
 * microseconds), by integer formatting: printf's %f costs thousands of
 * instructions an event. */
static void put_us(FILE *f, int64_t ns) {
  char buf[32];
  char *p = buf + sizeof buf;
  *--p = '\0';
  uint64_t v = ns < 0 ? 0 : (uint64_t)ns;
  for (int i = 0; i < 3; i++, v /= 10)
    *--p = (char)('0' + v % 10);
  *--p = '.';
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  fputs_unlocked(p, f);
}

static void put_int(FILE *f, int64_t v) {
  char buf[24];
  char *p = buf + sizeof buf;
  *--p = '\0';
  uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    *--p = '-';
  fputs_unlocked(p, f);
}

static void task_label(FILE *f, const trace_ev *e) {
  if (e->name[0]) {
    json_str(f, e->name);
  } else if (e->file) {
    json_str(f, e->file);
    putc_unlocked(':', f);
    put_int(f, e->line);
  }
}

static void write_event(FILE *f, int tid, const trace_ev *e, int64_t t0) {
  fputs_unlocked(",\n{\"pid\":1,\"tid\":", f);
  put_int(f, tid);
  fputs_unlocked(",\"ts\":", f);
  put_us(f, e->ts - t0);
  switch (e->kind) {
  case WEFT__TR_SLICE:
    fputs_unlocked(",\"ph\":\"X\",\"dur\":", f);
    put_us(f, e->dur);
    fputs_unlocked(",\"cat\":\"task\",\"name\":\"", f);
    task_label(f, e);
    fputs_unlocked("\",\"args\":{\"site\":\"", f);
    json_str(f, e->file ? e->file : "?");
    putc_unlocked(':', f);
    put_int(f, e->line);
    fputs_unlocked("\"}}", f);
    break;
  case WEFT__TR_PARK:
    fputs_unlocked(",\"ph\":\"X\",\"dur\":", f);
    put_us(f, e->dur);
    fputs_unlocked(",\"cat\":\"park\",\"name\":\"park\"}", f);
    break;
  case WEFT__TR_UNPARK:
    fputs_unlocked(
        ",\"ph\":\"i\",\"s\":\"t\",\"cat\":\"unpark\",\"name\":\"unpark\","
        "\"args\":{\"woke\":",
        f);
    put_int(f, e->a);
    fputs_unlocked("}}", f);
    break;
  case WEFT__TR_STEAL:
    fputs_unlocked(
        ",\"ph\":\"i\",\"s\":\"t\",\"cat\":\"steal\",\"name\":\"steal\","
        "\"args\":{\"victim\":",
        f);
    put_int(f, e->a);
    fputs_unlocked(",\"tasks\":", f);
    put_int(f, e->b);
    fputs_unlocked("}}", f);
    break;
  case WEFT__TR_TIMER:
    fputs_unlocked(
        ",\"ph\":\"i\",\"s\":\"t\",\"cat\":\"timer\",\"name\":\"timer\","
        "\"args\":{\"task\":\"",
        f);
    task_label(f, e);
    fputs_unlocked("\"}}", f);
    break;
  default: /* WEFT__TR_IO */
    fputs_unlocked(",\"ph\":\"i\",\"s\":\"t\",\"cat\":\"io\",\"name\":\"io\","
                   "\"args\":{\"events\":",
                   f);
    put_int(f, e->b);
    fputs_unlocked("}}", f);
    break;
  }
}

int weft__trace_finish(weft__runtime *rt, const char *path) {
  int err = 0;
  FILE *f = path ? fopen(path, "w") : NULL;
  if (path && !f)
    err = -errno;
  /* The earliest timestamp of any event. Not the first event of each
   * buffer: a slice is added when it ends, with the time it began, so a
   * buffer's first event need not be its earliest (a run slice that began
   * before the first park or unpark was added), and an event earlier than
   * t0 would be written at 0, overlapping the next one. */
  int64_t t0 = INT64_MAX;
  for (int i = 0; i < rt->nworkers; i++) {
    weft__trace_buf *b = rt->workers[i].trace_buf;
    for (uint64_t k = 0; b && k < b->len; k++)
      if (b->ev[k].ts < t0)
        t0 = b->ev[k].ts;
  }
  if (f) {
    flockfile(f); /* once: the _unlocked calls below */
    fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    fprintf(f, "{\"pid\":1,\"ph\":\"M\",\"name\":\"process_name\","
               "\"args\":{\"name\":\"weft\"}}");
    for (int i = 0; i < rt->nworkers; i++) {
      weft__trace_buf *b = rt->workers[i].trace_buf;
      fprintf(f,
              ",\n{\"pid\":1,\"tid\":%d,\"ph\":\"M\",\"name\":\"thread_name\","
              "\"args\":{\"name\":\"worker %d\"}}",
              i, i);
      fprintf(f,
              ",\n{\"pid\":1,\"tid\":%d,\"ph\":\"M\",\"name\":\"weft_dropped\","
              "\"args\":{\"events\":%" PRIu64 ",\"dropped\":%" PRIu64 "}}",
              i, b ? b->len : 0, b ? b->dropped : 0);
      for (uint64_t k = 0; b && k < b->len; k++)
        write_event(f, i, &b->ev[k], t0);
    }
    fprintf(f, "\n]}\n");
    funlockfile(f);
    if (fclose(f) != 0 && !err)
      err = -EIO;
  }
  for (int i = 0; i < rt->nworkers; i++) {
    weft__worker *w = &rt->workers[i];
    if (!w->trace_buf)
      continue;
    if (w->trace_buf->dropped)
      fprintf(stderr,
              "weft: trace: worker %d kept its first %" PRIu64
              " events and dropped %" PRIu64 " (raise WEFT_TRACE_EVENTS)\n",
              i, w->trace_buf->len, w->trace_buf->dropped);
    weft__free(w->trace_buf,
               sizeof *w->trace_buf + w->trace_buf->cap * sizeof(trace_ev));
    w->trace_buf = NULL;
    w->trace = false;
  }
  if (err)
    fprintf(stderr, "weft: trace: cannot write %s (%s)\n", path,
            weft_strerror(err));
  return err;
}
