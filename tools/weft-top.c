/*
 * tools/weft-top.c: a live view of a running weft program, like top.
 *
 *   weft-top [-b] [-n COUNT] [-d SECONDS] [-t] SOCKET|PID
 *
 * The program must have opened its inspector socket (WEFT_TOP=path, or
 * WEFT_TOP=1 for /tmp/weft-PID.sock, or weft_config.top_socket). Once per
 * interval (-d, default 1 s) weft-top connects, sends "stats", reads the
 * counters (rt/stats.c's text: a "weft" line, one "worker=N" line per
 * worker, "end") and shows one row per worker with the rates since the last
 * sample: tasks started, switches, steals won, tasks stolen, parks,
 * unparks, inject pops, timer and I/O events per second, and its local
 * queue depth. Interactive mode redraws the screen; -b (batch) prints each
 * frame below the last, and -n stops after COUNT frames. -t prints the task
 * dump once ("tasks") and exits.
 *
 * A client only: it talks to the socket, not to the library.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 1024

enum { RUN, SW, WON, STOLEN, PARKS, UNPARKS, INJECT, TIMERS, IO, DEPTH, NCOL };
static const char *const keys[NCOL] = {
    "tasks_run", "switches",    "steals_won",   "tasks_stolen", "parks",
    "unparks",   "inject_pops", "timers_fired", "io_events",    "queue_depth"};
static const char *const heads[NCOL] = {
    "tasks/s",   "switch/s", "steals/s", "stolen/s", "parks/s",
    "unparks/s", "inject/s", "timers/s", "io/s",     "queue"};

typedef struct sample {
  int64_t now_ns;
  int workers;
  uint64_t live, inject_depth, rescues;
  uint64_t col[MAX_WORKERS][NCOL];
} sample;

/* Sends cmd to the socket at path and reads the whole answer into *out
 * (malloc'd, NUL-terminated). Returns 0 or a negative errno code. */
static int request(const char *path, const char *cmd, char **out) {
  *out = NULL;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t plen = strlen(path);
  if (plen >= sizeof a.sun_path)
    return -ENAMETOOLONG;
  memcpy(a.sun_path, path, plen + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int err = 0;
  char *buf = NULL;
  size_t cap = 0;
  size_t len = 0;
  /* send with MSG_NOSIGNAL: a program that is just ending closes the
   * socket under us, which must be an error, not a SIGPIPE. */
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
    err = -errno;
    goto done;
  }
  for (;;) {
    if (len + 1 >= cap) {
      size_t ncap = cap ? cap * 2 : 4096;
      char *nbuf = realloc(buf, ncap);
      if (!nbuf) {
        err = -ENOMEM;
        goto done;
      }
      buf = nbuf;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + len, cap - 1 - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      err = -errno;
      goto done;
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
done:
  free(buf);
  close(fd);
  return err;
}

static uint64_t field(const char *line, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, " %s=", key);
  const char *p = strstr(line, pat);
  return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static int parse(const char *text, sample *s) {
  memset(s, 0, sizeof *s);
  bool ended = false;
  for (const char *l = text; l && *l;) {
    const char *nl = strchr(l, '\n');
    size_t n = nl ? (size_t)(nl - l) : strlen(l);
    char line[2048];
    if (n >= sizeof line)
      n = sizeof line - 1;
    memcpy(line, l, n);
    line[n] = '\0';
    if (strncmp(line, "weft ", 5) == 0) {
      s->now_ns = (int64_t)field(line, "now_ns");
      s->workers = (int)field(line, "workers");
      s->live = field(line, "live_tasks");
      s->inject_depth = field(line, "inject_depth");
      s->rescues = field(line, "monitor_rescues");
    } else if (strncmp(line, "worker=", 7) == 0) {
      int i = (int)strtol(line + 7, NULL, 10);
      if (i >= 0 && i < MAX_WORKERS)
        for (int c = 0; c < NCOL; c++)
          s->col[i][c] = field(line, keys[c]);
    } else if (strcmp(line, "end") == 0) {
      ended = true;
    }
    l = nl ? nl + 1 : NULL;
  }
  return ended && s->workers > 0 ? 0 : -EPROTO;
}

static void show(const sample *prev, const sample *cur, bool batch,
                 const char *path) {
  double dt = (double)(cur->now_ns - prev->now_ns) / 1e9;
  if (dt <= 0)
    dt = 1e-9;
  if (!batch)
    fputs("\033[H\033[2J", stdout);
  time_t t = time(NULL);
  char when[32];
  strftime(when, sizeof when, "%H:%M:%S", localtime(&t));
  printf("weft-top %s  %s  workers %d  live tasks %" PRIu64
         "  inject queue %" PRIu64 "  monitor rescues %" PRIu64 "\n",
         when, path, cur->workers, cur->live, cur->inject_depth, cur->rescues);
  printf("%6s", "worker");
  for (int c = 0; c < NCOL; c++)
    printf(" %10s", heads[c]);
  putchar('\n');
  double total[NCOL] = {0};
  for (int i = 0; i < cur->workers && i < MAX_WORKERS; i++) {
    printf("%6d", i);
    for (int c = 0; c < NCOL; c++) {
      double v = c == DEPTH ? (double)cur->col[i][c]
                            : (double)(cur->col[i][c] - prev->col[i][c]) / dt;
      total[c] += v;
      printf(" %10.0f", v);
    }
    putchar('\n');
  }
  printf("%6s", "all");
  for (int c = 0; c < NCOL; c++)
    printf(" %10.0f", total[c]);
  printf("\n%s", batch ? "\n" : "");
  fflush(stdout);
}

static void usage(void) {
  fprintf(stderr,
          "usage: weft-top [-b] [-n COUNT] [-d SECONDS] [-t] SOCKET|PID\n"
          "  -b  batch mode: print frames one after another\n"
          "  -n  stop after COUNT frames\n"
          "  -d  seconds between frames (default 1)\n"
          "  -t  print the task dump once and exit\n"
          "The program opens SOCKET when run with WEFT_TOP=SOCKET (or "
          "WEFT_TOP=1: /tmp/weft-PID.sock).\n");
  exit(2);
}

int main(int argc, char **argv) {
  bool batch = false;
  bool tasks = false;
  long frames = -1;
  double delay = 1.0;
  int opt;
  while ((opt = getopt(argc, argv, "bn:d:th")) != -1) {
    switch (opt) {
    case 'b':
      batch = true;
      break;
    case 'n':
      frames = strtol(optarg, NULL, 10);
      if (frames < 1)
        usage();
      break;
    case 'd':
      delay = strtod(optarg, NULL);
      if (!(delay > 0 && delay <= 3600))
        usage();
      break;
    case 't':
      tasks = true;
      break;
    default:
      usage();
    }
  }
  if (optind != argc - 1)
    usage();
  char path[108];
  const char *arg = argv[optind];
  char *end;
  long pid = strtol(arg, &end, 10);
  if (*arg && !*end && pid > 0)
    snprintf(path, sizeof path, "/tmp/weft-%ld.sock", pid);
  else
    snprintf(path, sizeof path, "%s", arg);

  char *text = NULL;
  int err = request(path, tasks ? "tasks\n" : "stats\n", &text);
  if (err) {
    fprintf(stderr, "weft-top: cannot reach %s: %s\n", path, strerror(-err));
    return 1;
  }
  if (tasks) {
    fputs(text, stdout);
    free(text);
    return 0;
  }
  static sample a;
  static sample b;
  sample *prev = &a;
  sample *cur = &b;
  err = parse(text, prev);
  free(text);
  if (err) {
    fprintf(stderr, "weft-top: %s did not answer like a weft program\n", path);
    return 1;
  }
  for (long shown = 0; frames < 0 || shown < frames; shown++) {
    struct timespec ts = {(time_t)delay,
                          (long)((delay - (double)(time_t)delay) * 1e9)};
    nanosleep(&ts, NULL);
    if ((err = request(path, "stats\n", &text))) {
      fprintf(stderr, "weft-top: %s went away (%s)\n", path, strerror(-err));
      return shown > 0 ? 0 : 1;
    }
    err = parse(text, cur);
    free(text);
    if (err) {
      fprintf(stderr, "weft-top: a bad answer from %s\n", path);
      return 1;
    }
    show(prev, cur, batch, path);
    sample *t = prev;
    prev = cur;
    cur = t;
  }
  return 0;
}
