/*
 * TCP, UDP, Unix sockets, pipes and the wait primitive on real sockets on
 * loopback, each case on one worker and on two. The peer of a connection is
 * a plain thread with blocking sockets (tests/unit/peer.h), joined after the
 * runtime ends.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "peer.h"
#include "rt/atomic.h"
#include "rt/task.h"

#define MS ((int64_t)1000000)
#define DL(ns) (weft_now_ns() + (ns))

static uint16_t port;  /* the listener's port: written before the peer runs */
static uint32_t stage; /* peer/test handshakes: atomic */
static pthread_t peer;

static void stage_set(uint32_t v) { weft__store_release(&stage, v); }
static void stage_wait(uint32_t v) { /* plain thread side */
  while (weft__load_acquire(&stage) < v)
    usleep(200);
}

static weft_io *listen_any(void) {
  weft_io *l;
  CHECK_EQ(weft_tcp_listen("127.0.0.1", 0, NULL, &l), 0);
  int p = weft_io_local_port(l);
  CHECK(p > 0);
  port = (uint16_t)p;
  return l;
}

static void run_case(weft_fn fn, void *(*peer_fn)(void *), int workers) {
  stage = 0;
  port = 0;
  CHECK_EQ(check_run_workers(fn, workers), 0);
  if (peer_fn)
    pthread_join(peer, NULL);
}
#define CASE(fn, peer_fn)                                                      \
  do {                                                                         \
    for (int w_ = 1; w_ <= 2; w_++) {                                          \
      fprintf(stderr, "-- %s on %d worker(s)\n", #fn, w_);                     \
      run_case(fn, peer_fn, w_);                                               \
    }                                                                          \
  } while (0)

/* ---- echo: 1 byte to 1 MiB, through read and write_all, then writev ---- */

#define BIG (1 << 20)
static const size_t sizes[] = {1, 100, 65536, BIG};
#define NSIZES (sizeof sizes / sizeof *sizes)

static char pattern(size_t i) { return (char)(i * 7 + 3); }

static void *echo_reader(void *arg) {
  int fd = (int)(intptr_t)arg;
  char *in = malloc(BIG);
  CHECK(in);
  for (size_t k = 0; k < NSIZES; k++) {
    CHECK(peer_recv(fd, in, sizes[k]));
    for (size_t i = 0; i < sizes[k]; i++)
      CHECK_EQ(in[i], pattern(i));
  }
  char tail[6];
  CHECK(peer_recv(fd, tail, 6)); /* the writev: "ab" "" "cdef" */
  CHECK(memcmp(tail, "abcdef", 6) == 0);
  CHECK(!peer_recv(fd, tail, 1)); /* then the server's end */
  free(in);
  return NULL;
}

static void *echo_peer(void *arg) {
  (void)arg;
  int fd = peer_connect(port, false);
  pthread_t rd = peer_start(echo_reader, (void *)(intptr_t)fd);
  char *out = malloc(BIG);
  CHECK(out);
  for (size_t i = 0; i < BIG; i++)
    out[i] = pattern(i);
  for (size_t k = 0; k < NSIZES; k++)
    peer_send(fd, out, sizes[k]);
  shutdown(fd, SHUT_WR);
  pthread_join(rd, NULL);
  free(out);
  close(fd);
  return NULL;
}

static int echo_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any(), *c;
  peer = peer_start(echo_peer, NULL);
  struct sockaddr_storage from;
  socklen_t flen = 0;
  CHECK_EQ(weft_io_accept(l, &c, &from, &flen, DL(5000 * MS)), 0);
  CHECK_EQ(from.ss_family, AF_INET);
  CHECK(flen > 0);
  char *buf = malloc(BIG);
  size_t total = 0;
  for (;;) {
    ssize_t n = weft_io_read(c, buf, 70000, DL(5000 * MS));
    CHECK(n >= 0);
    if (n == 0)
      break;
    size_t sent = 0;
    CHECK_EQ(weft_io_write_all(c, buf, (size_t)n, DL(5000 * MS), &sent), 0);
    CHECK_EQ(sent, n);
    total += (size_t)n;
  }
  CHECK_EQ(total, 1 + 100 + 65536 + BIG);
  /* The waits above were ended by reactor events, and the workers count
   * them (weft/stats.h: io_events). */
  weft_worker_stats ws[8];
  int nw = weft_worker_count() < 8 ? weft_worker_count() : 8;
  CHECK_EQ(weft_stats_get(NULL, NULL, ws, nw), weft_worker_count());
  uint64_t events = 0;
  for (int i = 0; i < nw; i++)
    events += ws[i].io_events;
  CHECK(events > 0);
  struct iovec v[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
  size_t sent = 0;
  CHECK_EQ(weft_io_writev(c, v, 3, WEFT_NO_DEADLINE, &sent), 0);
  CHECK_EQ(sent, 6);
  free(buf);
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(l), 0);
  return 0;
}

/* ---- half-close: the peer ends its side, then reads our answer --------- */

static void *half_peer(void *arg) {
  (void)arg;
  int fd = peer_connect(port, false);
  peer_send(fd, "hello", 5);
  CHECK_EQ(shutdown(fd, SHUT_WR), 0);
  char b[3];
  CHECK(peer_recv(fd, b, 3));
  CHECK(memcmp(b, "bye", 3) == 0);
  CHECK(!peer_recv(fd, b, 1));
  close(fd);
  return NULL;
}

static int half_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any(), *c;
  peer = peer_start(half_peer, NULL);
  CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, WEFT_NO_DEADLINE), 0);
  /* The data and the end arrive before the first read: a short read must
   * not be taken for "drained, wait for an edge" (no edge would come). */
  CHECK_EQ(weft_sleep_ms(20), 0);
  char b[16];
  size_t got = 0;
  /* read_exactly stops at the end of stream with what it has. */
  CHECK_EQ(weft_io_read_exactly(c, b, sizeof b, DL(5000 * MS), &got), 5);
  CHECK_EQ(got, 5);
  CHECK(memcmp(b, "hello", 5) == 0);
  CHECK_EQ(weft_io_read(c, b, sizeof b, DL(5000 * MS)), 0); /* still EOF */
  CHECK_EQ(weft_io_write_all(c, "bye", 3, DL(5000 * MS), NULL), 0);
  CHECK_EQ(weft_io_shutdown(c, SHUT_WR), 0);
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(l), 0);
  return 0;
}

/* ---- the peer resets the connection in the middle of a read ----------- */

static void *reset_peer(void *arg) {
  (void)arg;
  int fd = peer_connect(port, false);
  peer_send(fd, "0123456789", 10);
  stage_wait(1); /* the server has the 10 bytes and waits for more */
  usleep(20000);
  peer_reset(fd);
  return NULL;
}

static uint32_t got_ten; /* atomic */

static int reset_reader(void *arg, void **res) {
  (void)res;
  weft_io *c = arg;
  char b[100];
  size_t got = 0;
  ssize_t r = weft_io_read(c, b, 10, DL(5000 * MS));
  CHECK_EQ(r, 10);
  stage_set(1);
  r = weft_io_read_exactly(c, b, sizeof b, DL(5000 * MS), &got);
  CHECK_EQ(r, -ECONNRESET);
  CHECK_EQ(got, 0);
  /* Writing to a reset connection: an error, never SIGPIPE. */
  r = weft_io_write_all(c, "x", 1, DL(5000 * MS), NULL);
  CHECK(r == -EPIPE || r == -ECONNRESET);
  weft__store_release(&got_ten, 1u);
  return 0;
}

static int reset_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any(), *c;
  peer = peer_start(reset_peer, NULL);
  CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, DL(5000 * MS)), 0);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, reset_reader, c), 0);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
  CHECK(weft__load_acquire(&got_ten));
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(l), 0);
  return 0;
}

/* ---- a read that times out; a read cancelled mid-way; fd still usable --- */

static void *slow_peer(void *arg) {
  (void)arg;
  int fd = peer_connect(port, false);
  stage_wait(1); /* the timeout happened */
  peer_send(fd, "abcdef", 6);
  stage_wait(2); /* the cancellation happened */
  peer_send(fd, "ghij", 4);
  char b;
  CHECK(!peer_recv(fd, &b, 1));
  close(fd);
  return NULL;
}

static int exact_reader(void *arg, void **res) {
  weft_io *c = arg;
  static char b[16];
  size_t got = 99;
  ssize_t r = weft_io_read_exactly(c, b, sizeof b, WEFT_NO_DEADLINE, &got);
  CHECK_EQ(r, -ECANCELED);
  CHECK_EQ(got, 6); /* what it had is reported, and is in b */
  CHECK(memcmp(b, "abcdef", 6) == 0);
  *res = b;
  return -ECANCELED;
}

static int slow_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any(), *c;
  peer = peer_start(slow_peer, NULL);
  CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, DL(5000 * MS)), 0);
  char b[16];
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_io_read(c, b, sizeof b, t0 + 50 * MS), -ETIMEDOUT);
  int64_t took = weft_now_ns() - t0;
  CHECK(took >= 50 * MS);
  CHECK(took < 5000 * MS);
  /* A deadline already past still completes a read that needs no wait. */
  stage_set(1);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, exact_reader, c), 0);
  /* Let the reader take the 6 bytes and wait for the rest, then cancel. */
  while (weft_io_wait(c, WEFT_IO_READ, 0) == 0)
    CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(weft_sleep_ms(20), 0);
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_CANCELLED);
  weft_detach(t);
  stage_set(2);
  /* The fd is still usable: the next bytes arrive whole. */
  CHECK_EQ(weft_io_read_exactly(c, b, 4, DL(5000 * MS), NULL), 4);
  CHECK(memcmp(b, "ghij", 4) == 0);
  /* A cancelled plain read loses nothing. */
  CHECK_EQ(weft_cancel(weft_self()), 0);
  CHECK_EQ(weft_io_read(c, b, 4, WEFT_NO_DEADLINE), -ECANCELED);
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(l), 0);
  return 0;
}

/* ---- task to task: connect, refused connect, bad input ---------------- */

static int tt_server(void *arg, void **res) {
  (void)res;
  weft_io *l = arg, *c;
  CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, DL(5000 * MS)), 0);
  char b[64];
  ssize_t n;
  while ((n = weft_io_read(c, b, sizeof b, DL(5000 * MS))) > 0)
    CHECK_EQ(weft_io_write_all(c, b, (size_t)n, DL(5000 * MS), NULL), 0);
  CHECK_EQ(n, 0);
  CHECK_EQ(weft_io_close(c), 0);
  return 0;
}

static int tt_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any(), *c;
  weft_task *s;
  CHECK_EQ(weft_spawn(&s, tt_server, l), 0);
  CHECK_EQ(weft_tcp_connect("127.0.0.1", port, DL(5000 * MS), &c), 0);
  for (int i = 0; i < 50; i++) {
    char m[16], e[16];
    int len = snprintf(m, sizeof m, "msg %d", i);
    CHECK_EQ(weft_io_write_all(c, m, (size_t)len, DL(5000 * MS), NULL), 0);
    CHECK_EQ(weft_io_read_exactly(c, e, (size_t)len, DL(5000 * MS), NULL), len);
    CHECK(memcmp(m, e, (size_t)len) == 0);
  }
  CHECK_EQ(weft_io_shutdown(c, SHUT_WR), 0);
  CHECK_EQ(weft_await(s, NULL), 0);
  weft_detach(s);
  char b;
  CHECK_EQ(weft_io_read(c, &b, 1, DL(5000 * MS)), 0);
  CHECK_EQ(weft_io_close(c), 0);
  /* Closed objects and double closes. */
  CHECK_EQ(weft_io_close(c), -EBADF);
  CHECK_EQ(weft_io_close(l), 0);
  /* Nobody listens on the port just closed. */
  CHECK_EQ(weft_tcp_connect("127.0.0.1", port, DL(5000 * MS), &c),
           -ECONNREFUSED);
  /* A host name is resolved now (issue 7): nobody listens there either. */
  CHECK_EQ(weft_tcp_connect("localhost", port, DL(5000 * MS), &c),
           -ECONNREFUSED);
  /* Bad input. */
  CHECK_EQ(weft_tcp_connect("127.0.0.1", port, -1, NULL), -EINVAL);
  CHECK_EQ(weft_tcp_listen("300.1.1.1", 0, NULL, &l), -EINVAL);
  CHECK_EQ(weft_io_read(NULL, &b, 1, -1), -EINVAL);
  CHECK_EQ(weft_io_wait(NULL, WEFT_IO_READ, -1), -EINVAL);
  CHECK_EQ(weft_io_close(NULL), -EBADF);
  CHECK_EQ(weft_io_adopt(-1, &c), -EINVAL);
  struct sockaddr_storage ss;
  socklen_t sl;
  CHECK_EQ(weft_addr_parse("[::1]", 80, &ss, &sl), 0);
  CHECK_EQ(ss.ss_family, AF_INET6);
  CHECK_EQ(weft_addr_parse("1.2.3", 80, &ss, &sl), -EINVAL);
  return 0;
}

/* ---- the wait primitive on an adopted fd ------------------------------ */

static int wait_main(void *arg, void **res) {
  (void)arg, (void)res;
  int sv[2];
  CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  weft_io *a;
  CHECK_EQ(weft_io_adopt(sv[0], &a), 0);
  CHECK_EQ(weft_io_fd(a), sv[0]);
  CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  CHECK(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
  CHECK_EQ(weft_io_wait(a, WEFT_IO_READ | WEFT_IO_WRITE, -1), -EINVAL);
  CHECK_EQ(weft_io_wait(a, WEFT_IO_WRITE, DL(1000 * MS)), 0);
  CHECK_EQ(weft_io_wait(a, WEFT_IO_READ, DL(20 * MS)), -ETIMEDOUT);
  /* Data that arrived before the wait (no edge left to see) is found. */
  CHECK_EQ(write(sv[1], "z", 1), 1);
  CHECK_EQ(weft_sleep_ms(5), 0);
  CHECK_EQ(weft_io_wait(a, WEFT_IO_READ, DL(1000 * MS)), 0);
  /* The caller's own read (as a library would do it). */
  char b;
  CHECK_EQ(read(sv[0], &b, 1), 1);
  CHECK_EQ(read(sv[0], &b, 1), -1);
  CHECK_EQ(weft_io_wait(a, WEFT_IO_READ, DL(20 * MS)), -ETIMEDOUT);
  CHECK_EQ(weft_io_close(a), 0);
  CHECK_EQ(weft_io_fd(a), -EBADF);
  CHECK_EQ(fcntl(sv[0], F_GETFD), -1); /* closed with the object */
  close(sv[1]);
  return 0;
}

/* ---- close race: one task closes while another waits on the fd -------- */

static uint32_t waiting; /* atomic: the waiter is about to read */
static weft_task *waiter_task;

static int race_waiter(void *arg, void **res) {
  (void)res;
  weft_io *c = arg;
  char b;
  weft__store_release(&waiting, 1u); /* its next suspension is the read */
  ssize_t r = weft_io_read(c, &b, 1, DL(5000 * MS));
  CHECK_EQ(r, -ECANCELED);
  CHECK_EQ(weft_io_read(c, &b, 1, DL(5000 * MS)), -EBADF);
  return 0;
}

static int race_closer(void *arg, void **res) {
  (void)res;
  weft_io *c = arg;
  /* Until the waiter is parked in its read (internals: its state word). */
  while (!weft__load_acquire(&waiting) ||
         (weft__load_acquire(&waiter_task->state) & WEFT__T_RUNNING))
    CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_sleep_ns((rand() % 2000) * 1000), 0);
  CHECK_EQ(weft_io_close(c), 0);
  return 0;
}

static int race_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l = listen_any();
  int nw = weft_worker_count();
  for (int i = 0; i < 100; i++) {
    weft_io *c, *s;
    CHECK_EQ(weft_tcp_connect("127.0.0.1", port, DL(5000 * MS), &c), 0);
    CHECK_EQ(weft_io_accept(l, &s, NULL, NULL, DL(5000 * MS)), 0);
    weft_spawn_opts o0 = {.pinned = true, .worker = 0};
    weft_spawn_opts o1 = {.pinned = true, .worker = nw - 1};
    weft_task *w, *k;
    weft__store_relaxed(&waiting, 0u);
    CHECK_EQ(weft_spawn_opt(&w, race_waiter, s, &o0), 0);
    waiter_task = w;
    CHECK_EQ(weft_spawn_opt(&k, race_closer, s, &o1), 0);
    CHECK_EQ(weft_await(w, NULL), 0);
    CHECK_EQ(weft_await(k, NULL), 0);
    weft_detach(w);
    weft_detach(k);
    CHECK_EQ(weft_io_close(c), 0);
  }
  CHECK_EQ(weft_io_close(l), 0);
  return 0;
}

/* ---- UDP ------------------------------------------------------------- */

static int udp_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *a, *b;
  CHECK_EQ(weft_udp_bind("127.0.0.1", 0, &a), 0);
  CHECK_EQ(weft_udp_bind("127.0.0.1", 0, &b), 0);
  struct sockaddr_storage ba, from;
  socklen_t blen, flen = 0;
  CHECK_EQ(weft_io_local_addr(b, &ba, &blen), 0);
  char buf[64];
  CHECK_EQ(weft_udp_recv(b, buf, sizeof buf, NULL, NULL, DL(20 * MS)),
           -ETIMEDOUT);
  for (int i = 0; i < 20; i++) {
    char m[16];
    int len = snprintf(m, sizeof m, "dgram %d", i);
    CHECK_EQ(weft_udp_send(a, m, (size_t)len, (struct sockaddr *)&ba, blen,
                           DL(1000 * MS)),
             len);
  }
  for (int i = 0; i < 20; i++) {
    char m[16];
    int len = snprintf(m, sizeof m, "dgram %d", i);
    CHECK_EQ(weft_udp_recv(b, buf, sizeof buf, &from, &flen, DL(1000 * MS)),
             len);
    CHECK(memcmp(buf, m, (size_t)len) == 0);
    CHECK_EQ(from.ss_family, AF_INET);
    CHECK_EQ(((struct sockaddr_in *)&from)->sin_port,
             htons((uint16_t)weft_io_local_port(a)));
  }
  CHECK_EQ(weft_io_close(a), 0);
  CHECK_EQ(weft_io_close(b), 0);
  return 0;
}

/* ---- Unix stream sockets and pipes ----------------------------------- */

static char sock_path[108];

static int unix_server(void *arg, void **res) {
  (void)res;
  weft_io *l = arg, *c;
  CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, DL(5000 * MS)), 0);
  char b[5];
  CHECK_EQ(weft_io_read_exactly(c, b, 5, DL(5000 * MS), NULL), 5);
  CHECK_EQ(weft_io_write_all(c, b, 5, DL(5000 * MS), NULL), 0);
  CHECK_EQ(weft_io_close(c), 0);
  return 0;
}

static int unix_main(void *arg, void **res) {
  (void)arg, (void)res;
  snprintf(sock_path, sizeof sock_path, "/tmp/weft-io-test-%d.sock",
           (int)getpid());
  unlink(sock_path);
  weft_io *l, *c;
  CHECK_EQ(weft_unix_listen(sock_path, 0, &l), 0);
  weft_task *s;
  CHECK_EQ(weft_spawn(&s, unix_server, l), 0);
  CHECK_EQ(weft_unix_connect(sock_path, DL(5000 * MS), &c), 0);
  CHECK_EQ(weft_io_write_all(c, "unix!", 5, DL(5000 * MS), NULL), 0);
  char b[5];
  CHECK_EQ(weft_io_read_exactly(c, b, 5, DL(5000 * MS), NULL), 5);
  CHECK(memcmp(b, "unix!", 5) == 0);
  CHECK_EQ(weft_io_read(c, b, 1, DL(5000 * MS)), 0);
  CHECK_EQ(weft_await(s, NULL), 0);
  weft_detach(s);
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(l), 0);
  unlink(sock_path);
  CHECK_EQ(weft_unix_connect(sock_path, DL(5000 * MS), &c), -ENOENT);
  char longp[200];
  memset(longp, 'x', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  CHECK_EQ(weft_unix_listen(longp, 0, &l), -ENAMETOOLONG);

  /* Pipes: a writer that fills the pipe waits for the reader. */
  weft_io *p[2];
  CHECK_EQ(weft_pipe(p), 0);
  CHECK(fcntl(weft_io_fd(p[0]), F_GETFD) & FD_CLOEXEC);
  static char big[200000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = pattern(i);
  size_t sent = 0;
  CHECK_EQ(weft_io_write_all(p[1], big, 1000, DL(1000 * MS), &sent), 0);
  static char in[1000];
  CHECK_EQ(weft_io_read_exactly(p[0], in, 1000, DL(1000 * MS), NULL), 1000);
  CHECK(memcmp(in, big, 1000) == 0);
  CHECK_EQ(weft_io_read(p[0], in, 10, DL(20 * MS)), -ETIMEDOUT);
  CHECK_EQ(weft_io_close(p[1]), 0);
  CHECK_EQ(weft_io_read(p[0], in, 10, DL(1000 * MS)), 0); /* EOF */
  CHECK_EQ(weft_io_close(p[0]), 0);
  /* Writing to a pipe with no reader: -EPIPE, and no SIGPIPE kills us. */
  CHECK_EQ(weft_pipe(p), 0);
  CHECK_EQ(weft_io_close(p[0]), 0);
  CHECK_EQ(weft_io_write_all(p[1], "x", 1, DL(1000 * MS), NULL), -EPIPE);
  sigset_t pend;
  sigpending(&pend);
  CHECK(!sigismember(&pend, SIGPIPE));
  CHECK_EQ(weft_io_close(p[1]), 0);
  return 0;
}

static int pipe_writer(void *arg, void **res) {
  (void)res;
  weft_io *w = arg;
  static char big[300000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = pattern(i);
  CHECK_EQ(weft_io_write_all(w, big, sizeof big, DL(5000 * MS), NULL), 0);
  CHECK_EQ(weft_io_close(w), 0);
  return 0;
}

static int pipe_main(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *p[2];
  CHECK_EQ(weft_pipe(p), 0);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, pipe_writer, p[1]), 0);
  static char in[4096];
  size_t total = 0;
  for (;;) {
    ssize_t n = weft_io_read(p[0], in, sizeof in, DL(5000 * MS));
    CHECK(n >= 0);
    if (n == 0)
      break;
    for (ssize_t i = 0; i < n; i++)
      CHECK_EQ(in[i], pattern(total + (size_t)i));
    total += (size_t)n;
  }
  CHECK_EQ(total, 300000);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
  CHECK_EQ(weft_io_close(p[0]), 0);
  return 0;
}

int main(void) {
  /* Outside a task: nothing to register with. */
  weft_io *x;
  CHECK_EQ(weft_tcp_listen("127.0.0.1", 0, NULL, &x), -EPERM);
  int fds0 = count_fds();
  CASE(echo_main, echo_peer);
  CASE(half_main, half_peer);
  CASE(reset_main, reset_peer);
  CASE(slow_main, slow_peer);
  CASE(tt_main, NULL);
  CASE(wait_main, NULL);
  CASE(race_main, NULL);
  CASE(udp_main, NULL);
  CASE(unix_main, NULL);
  CASE(pipe_main, NULL);
  CHECK_EQ(count_fds(), fds0); /* every fd made was closed */
  fprintf(stderr, "io_tcp: all passed\n");
  return 0;
}
