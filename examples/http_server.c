/*
 * http_server: HTTP/1.1 with keep-alive and pipelining, on every core.
 *
 *   http_server [PORT [HOST]]     defaults: 8080, 127.0.0.1 (0: any port)
 *
 *   GET /        a fixed page
 *   GET /stats   per-worker counters: connections accepted and requests
 *                answered on each worker
 *   anything else: 404; a request http-parser rejects: 400, then the
 *   connection is closed (the server goes on serving the others).
 *
 * Requests are parsed by http-parser (Debian's libhttp-parser-dev), not by
 * hand. Each connection is one task: read what is there, feed it to the
 * parser, which calls on_message_complete once per request (several per
 * read when the client pipelines), queue one response per request in order,
 * write them all with one write, and go on while the client keeps the
 * connection alive. WEFT_WORKERS=N sets the number of workers (default: one
 * per core).
 */
#include <weft.h>

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "serve.h"

#define MAX_WORKERS 256
#define OUT_MAX 65536

static const char page[] = "<!doctype html>\n<title>weft</title>\n"
                           "<p>Hello from weft.</p>\n";

/* Per worker, by the worker that ran the code: tasks move, so atomic. */
enum { CONNS, REQUESTS };
static unsigned long long counters[MAX_WORKERS][2];

static void count(int what) {
  int w = weft_worker_index();
  if (w >= 0 && w < MAX_WORKERS)
    __atomic_fetch_add(&counters[w][what], 1, __ATOMIC_RELAXED);
}

typedef struct conn {
  http_parser parser;
  char url[1024];
  size_t url_len;
  bool url_too_long;
  char *out; /* responses waiting to be written, in request order */
  size_t out_len;
  bool close_after; /* a response said Connection: close */
} conn;

static void respond(conn *c, int status, const char *reason, const char *type,
                    const char *body, size_t body_len, bool keep) {
  char head[256];
  int n =
      snprintf(head, sizeof head,
               "HTTP/1.1 %d %s\r\nServer: weft\r\nContent-Type: %s\r\n"
               "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
               status, reason, type, body_len, keep ? "keep-alive" : "close");
  if (c->out_len + (size_t)n + body_len > OUT_MAX) {
    c->close_after = true; /* the client pipelines too much: stop here */
    return;
  }
  memcpy(c->out + c->out_len, head, (size_t)n);
  memcpy(c->out + c->out_len + (size_t)n, body, body_len);
  c->out_len += (size_t)n + body_len;
  if (!keep)
    c->close_after = true;
}

static int on_message_begin(http_parser *p) {
  conn *c = p->data;
  c->url_len = 0;
  c->url_too_long = false;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  conn *c = p->data;
  if (c->url_len + len >= sizeof c->url) {
    c->url_too_long = true;
    return 0;
  }
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  return 0;
}

static int stats_body(char *buf, size_t size) {
  int n = weft_worker_count();
  int len = 0;
  len += snprintf(buf + len, size - (size_t)len, "workers %d\n", n);
  for (int i = 0; i < n && i < MAX_WORKERS && (size_t)len < size; i++)
    len += snprintf(buf + len, size - (size_t)len,
                    "worker %d: connections %llu requests %llu\n", i,
                    __atomic_load_n(&counters[i][CONNS], __ATOMIC_RELAXED),
                    __atomic_load_n(&counters[i][REQUESTS], __ATOMIC_RELAXED));
  return len < (int)size ? len : (int)size - 1;
}

static int on_message_complete(http_parser *p) {
  conn *c = p->data;
  bool keep = http_should_keep_alive(p) && !c->close_after;
  count(REQUESTS);
  c->url[c->url_len] = '\0';
  char *q = strchr(c->url, '?');
  if (q)
    *q = '\0';
  if (c->url_too_long) {
    static const char msg[] = "URI too long\n";
    respond(c, 414, "URI Too Long", "text/plain", msg, sizeof msg - 1, false);
  } else if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
    static const char msg[] = "method not allowed\n";
    respond(c, 405, "Method Not Allowed", "text/plain", msg, sizeof msg - 1,
            keep);
  } else if (strcmp(c->url, "/") == 0) {
    respond(c, 200, "OK", "text/html", page,
            p->method == HTTP_HEAD ? 0 : sizeof page - 1, keep);
  } else if (strcmp(c->url, "/stats") == 0) {
    char body[8192];
    int n = stats_body(body, sizeof body);
    respond(c, 200, "OK", "text/plain", body, (size_t)n, keep);
  } else {
    static const char msg[] = "not found\n";
    respond(c, 404, "Not Found", "text/plain", msg, sizeof msg - 1, keep);
  }
  /* Stop parsing after a response that closes the connection. */
  return c->close_after ? -1 : 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_message_complete = on_message_complete,
};

static int http_conn(void *arg, void **result) {
  (void)result;
  weft_io *io = arg;
  count(CONNS);
  conn *c = calloc(1, sizeof *c);
  char *in = malloc(16384);
  if (c)
    c->out = malloc(OUT_MAX);
  if (!c || !in || !c->out)
    goto done;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  for (;;) {
    /* An idle keep-alive connection is closed after 30 s. */
    ssize_t n =
        weft_io_read(io, in, 16384, weft_now_ns() + 30 * (int64_t)1000000000);
    if (n <= 0) /* the client closed, reset, or was idle too long */
      break;
    size_t used = http_parser_execute(&c->parser, &settings, in, (size_t)n);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e != HPE_OK && e != HPE_CB_message_complete) {
      static const char msg[] = "bad request\n";
      respond(c, 400, "Bad Request", "text/plain", msg, sizeof msg - 1, false);
    }
    (void)used;
    if (c->out_len &&
        weft_io_write_all(io, c->out, c->out_len, WEFT_NO_DEADLINE, NULL) != 0)
      break;
    c->out_len = 0;
    if (c->close_after || e != HPE_OK)
      break;
  }
done:
  if (c)
    free(c->out);
  free(c);
  free(in);
  weft_io_close(io);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)result;
  return serve(arg);
}

int main(int argc, char **argv) {
  serve_cfg cfg = {.host = argc > 2 ? argv[2] : "127.0.0.1",
                   .port = (uint16_t)arg_num(argc, argv, 1, 8080, 0, 65535),
                   .on_conn = http_conn};
  int err = weft_run(NULL, main_task, &cfg, NULL);
  if (err && err != -ECANCELED) {
    fprintf(stderr, "http_server: %s\n", weft_strerror(err));
    return 1;
  }
  return 0;
}
