/*
 * Running out of fds in an accept loop: with RLIMIT_NOFILE lowered so that
 * the server can hold only a few connections, a client process opens 20
 * connections at once and then, one after the other, echoes a byte on each
 * and closes it. weft_io_accept meets EMFILE, backs off and tries again, the
 * connections already accepted go on being served, and all 20 are served
 * in the end. Without the back-off the accept would fail with -EMFILE.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "peer.h"
#include "rt/atomic.h"

#define MS ((int64_t)1000000)
#define N 20

static int port_pipe[2];
static uint16_t port;
static int served, open_now, open_max; /* tasks on one worker: no race */

static int client(void) {
  uint16_t p;
  if (read(port_pipe[0], &p, sizeof p) != sizeof p)
    return 2;
  port = p;
  int fd[N];
  for (int i = 0; i < N; i++)
    fd[i] = peer_connect(port, false);
  for (int i = 0; i < N; i++) {
    char b = (char)('a' + i), e = 0;
    peer_send(fd[i], &b, 1);
    if (!peer_recv(fd[i], &e, 1) || e != b)
      return 3;
    close(fd[i]);
  }
  return 0;
}

static int handler(void *arg, void **res) {
  (void)res;
  weft_io *c = arg;
  char b;
  ssize_t n;
  while ((n = weft_io_read(c, &b, 1, weft_now_ns() + 10000 * MS)) > 0)
    CHECK_EQ(weft_io_write_all(c, &b, 1, weft_now_ns() + 10000 * MS, NULL), 0);
  CHECK_EQ(n, 0);
  CHECK_EQ(weft_io_close(c), 0);
  served++;
  open_now--;
  return 0;
}

static int main_task(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l;
  CHECK_EQ(weft_tcp_listen("127.0.0.1", 0, NULL, &l), 0);
  uint16_t p = (uint16_t)weft_io_local_port(l);
  struct rlimit old, low;
  CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  /* New fds take the lowest free numbers, below the limit; those open
   * above it (inherited ones, the reactors') stay usable. */
  int lowest = dup(0);
  CHECK(lowest >= 0);
  close(lowest);
  low.rlim_cur = (rlim_t)lowest + 4; /* room for four connections */
  CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  CHECK_EQ(write(port_pipe[1], &p, sizeof p), sizeof p);
  for (int i = 0; i < N; i++) {
    weft_io *c;
    CHECK_EQ(weft_io_accept(l, &c, NULL, NULL, weft_now_ns() + 20000 * MS), 0);
    open_now++;
    open_max = open_now > open_max ? open_now : open_max;
    weft_task *t;
    CHECK_EQ(weft_spawn(&t, handler, c), 0);
    weft_detach(t);
  }
  while (served < N)
    CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  CHECK_EQ(weft_io_close(l), 0);
  fprintf(stderr, "   %d served, at most %d open at once\n", served, open_max);
  CHECK(open_max < N); /* the limit did bite */
  return 0;
}

int main(void) {
  CHECK_EQ(pipe(port_pipe), 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    _exit(client());
  close(port_pipe[0]);
  RUN(main_task);
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st));
  CHECK_EQ(WEXITSTATUS(st), 0);
  fprintf(stderr, "io_emfile: all passed\n");
  return 0;
}
