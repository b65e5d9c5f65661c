/*
 * tcp_client: round trips against an echo server from many connections at
 * once, on every core.
 *
 *   tcp_client [PORT [HOST [CONNECTIONS [MESSAGES]]]]
 *       defaults: 7000, 127.0.0.1, 4 per worker, 1000 per connection
 *
 * Each connection is a task: connect (numeric address), then MESSAGES
 * times write a 64-byte message that names its connection and sequence
 * number and read the echo back whole, checking every byte. Prints the
 * total and the time taken; exits non-zero if any connection failed.
 */
#include <weft.h>

#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
  const char *host;
  uint16_t port;
  int id, messages;
} job;

static int client(void *arg, void **result) {
  (void)result;
  job *j = arg;
  int64_t deadline = weft_now_ns() + 60 * (int64_t)1000000000;
  weft_io *c;
  int err = weft_tcp_connect(j->host, j->port, deadline, &c);
  if (err) {
    fprintf(stderr, "connection %d: connect: %s\n", j->id, weft_strerror(err));
    return err;
  }
  char msg[64];
  char echo[64];
  for (int i = 0; i < j->messages && !err; i++) {
    memset(msg, '.', sizeof msg);
    int n = snprintf(msg, sizeof msg, "conn %d msg %d", j->id, i);
    msg[n] = '.';
    err = weft_io_write_all(c, msg, sizeof msg, deadline, NULL);
    if (!err) {
      ssize_t r = weft_io_read_exactly(c, echo, sizeof echo, deadline, NULL);
      if (r < 0)
        err = (int)r;
      else if (r != (ssize_t)sizeof echo || memcmp(msg, echo, sizeof msg) != 0)
        err = -EPROTO;
    }
  }
  if (err)
    fprintf(stderr, "connection %d: %s\n", j->id, weft_strerror(err));
  weft_io_close(c);
  return err;
}

typedef struct opts {
  const char *host;
  uint16_t port;
  int conns, messages;
} opts;

static int main_task(void *arg, void **result) {
  (void)result;
  opts *o = arg;
  int n = o->conns > 0 ? o->conns : 4 * weft_worker_count();
  job *jobs = calloc((size_t)n, sizeof *jobs);
  if (!jobs)
    return -ENOMEM;
  weft_task **ts = calloc((size_t)n, sizeof(void *));
  if (!ts) {
    free(jobs);
    return -ENOMEM;
  }
  int64_t t0 = weft_now_ns();
  int spawned = 0;
  for (int i = 0; i < n; i++) {
    jobs[i] = (job){o->host, o->port, i, o->messages};
    if (weft_spawn(&ts[i], client, &jobs[i]) != 0)
      break;
    spawned++;
  }
  int failed = spawned < n;
  if (spawned)
    weft_gather(ts, (size_t)spawned, NULL, NULL, WEFT_GATHER_ALL);
  for (int i = 0; i < spawned; i++) {
    failed += weft_task_state_of(ts[i]) != WEFT_TASK_DONE;
    weft_detach(ts[i]);
  }
  double ms = (double)(weft_now_ns() - t0) / 1e6;
  printf("%lld round trips over %d connections on %d workers in %.1f ms; "
         "%d failed\n",
         (long long)(spawned - failed) * o->messages, n, weft_worker_count(),
         ms, failed);
  free(jobs);
  free(ts);
  return failed ? -EIO : 0;
}

int main(int argc, char **argv) {
  opts o = {.port = (uint16_t)arg_num(argc, argv, 1, 7000, 1, 65535),
            .host = argc > 2 ? argv[2] : "127.0.0.1",
            .conns = (int)arg_num(argc, argv, 3, 0, 1, 100000),
            .messages = (int)arg_num(argc, argv, 4, 1000, 0, 100000000)};
  return weft_run(NULL, main_task, &o, NULL) == 0 ? 0 : 1;
}
