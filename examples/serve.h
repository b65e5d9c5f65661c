/*
 * examples/serve.h: one accept loop per worker, the pattern weft/io.h
 * describes for weft_listen_opts.reuseport. Each worker gets its own
 * listening socket on the same port (SO_REUSEPORT: the kernel spreads new
 * connections among them), made by a task pinned to that worker so the
 * socket is homed in that worker's reactor; a pinned task per worker then
 * accepts and spawns one task per connection. No two workers share an
 * accept queue, and a connection starts on the worker that accepted it
 * (its tasks may still move when a worker is busy).
 *
 * serve() prints "listening on HOST:PORT" (the port the kernel picked when
 * asked for port 0) on stdout once every listener is up, then waits until
 * it is cancelled.
 */
#ifndef WEFT_EXAMPLES_SERVE_H
#define WEFT_EXAMPLES_SERVE_H

#include <weft.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct serve_cfg {
  const char *host;
  uint16_t port;
  weft_fn on_conn; /* run as a task with the weft_io * as its argument */
} serve_cfg;

typedef struct listener {
  const serve_cfg *cfg;
  weft_io *io;
  int err;
  weft_task *loop; /* the worker's accept loop */
} listener;

/* Pinned to its worker: makes that worker's listener. */
static int serve_listen(void *arg, void **result) {
  (void)result;
  listener *l = arg;
  weft_listen_opts o = {.reuseport = true};
  l->err = weft_tcp_listen(l->cfg->host, l->cfg->port, &o, &l->io);
  return l->err;
}

/* Pinned to its worker: accepts for ever. */
static int serve_accept(void *arg, void **result) {
  (void)result;
  listener *l = arg;
  for (;;) {
    weft_io *c;
    int err = weft_io_accept(l->io, &c, NULL, NULL, WEFT_NO_DEADLINE);
    if (err == -ECANCELED)
      return err;
    if (err) { /* out of fds is handled inside accept; anything else: */
      fprintf(stderr, "accept: %s\n", weft_strerror(err));
      weft_sleep_ms(10);
      continue;
    }
    weft_task *t;
    if (weft_spawn(&t, l->cfg->on_conn, c) != 0) {
      weft_io_close(c);
      continue;
    }
    weft_detach(t);
  }
}

static int serve(serve_cfg *cfg) {
  int n = weft_worker_count();
  listener *ls = calloc((size_t)n, sizeof *ls);
  if (!ls)
    return -ENOMEM;
  int err = 0;
  for (int i = 0; i < n && !err; i++) {
    weft_spawn_opts on = {.pinned = true, .worker = i};
    weft_task *t;
    ls[i].cfg = cfg;
    err = weft_spawn_opt(&t, serve_listen, &ls[i], &on);
    if (!err) {
      err = weft_await(t, NULL);
      weft_detach(t);
    }
    if (!err && cfg->port == 0) /* the others take the port the first got */
      cfg->port = (uint16_t)weft_io_local_port(ls[i].io);
  }
  for (int i = 0; i < n && !err; i++) {
    weft_spawn_opts on = {.pinned = true, .worker = i};
    err = weft_spawn_opt(&ls[i].loop, serve_accept, &ls[i], &on);
  }
  if (!err) {
    printf("listening on %s:%u with %d workers\n", cfg->host,
           (unsigned)cfg->port, n);
    fflush(stdout);
    weft_await(ls[0].loop, NULL); /* returns when cancelled (shutdown) */
  } else {
    fprintf(stderr, "listen on %s:%u: %s\n", cfg->host, (unsigned)cfg->port,
            weft_strerror(err));
  }
  for (int i = 0; i < n; i++) {
    if (ls[i].loop) {
      weft_cancel(ls[i].loop);
      weft_detach(ls[i].loop);
    }
    if (ls[i].io)
      weft_io_close(ls[i].io);
  }
  free(ls);
  return err;
}

#endif /* WEFT_EXAMPLES_SERVE_H */
