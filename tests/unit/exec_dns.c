/*
 * DNS through the blocking pool's own lane, against a resolver set up here:
 * the test runs in a child with its own network and mount namespaces
 * (skipped, exit 77, where they cannot be made), brings the loopback up,
 * binds a UDP "name server" on 127.0.0.1:53 and bind-mounts a resolv.conf
 * naming it over /etc/resolv.conf. The server answers NXDOMAIN to names
 * whose first label starts with "nx" and never answers anything else.
 * Checked: a name that does not resolve (-ENXIO), connect by host name
 * (localhost, from /etc/hosts), a look-up's deadline and cancellation
 * returning at once, and slow look-ups filling the DNS lane while file
 * operations still complete promptly (a shared lane would make them wait
 * behind the look-ups).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rt/atomic.h"

#define MS ((int64_t)1000000)
#define DL(ms) (weft_now_ns() + (ms)*MS)

static int server_fd = -1;
static uint32_t server_stop, queries, silent; /* atomic */

/* A name server: NXDOMAIN for "nx..." names, silence for the rest. */
static void *server(void *arg) {
  (void)arg;
  unsigned char q[512];
  while (!weft__load_acquire(&server_stop)) {
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n =
        recvfrom(server_fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    if (n < 12 + 5)
      continue; /* the receive timeout, or junk */
    ck_pr_inc_32(&queries);
    size_t i = 12; /* the question's name: labels up to a zero length */
    bool nx = q[i] >= 2 && q[i + 1] == 'n' && q[i + 2] == 'x';
    while (i < (size_t)n && q[i])
      i += (size_t)q[i] + 1;
    size_t end = i + 1 + 4; /* the zero, QTYPE, QCLASS */
    if (!nx || end > (size_t)n) {
      ck_pr_inc_32(&silent);
      continue;
    }
    q[2] = 0x81;         /* QR, RD */
    q[3] = 0x83;         /* RA, RCODE 3: NXDOMAIN */
    memset(q + 6, 0, 6); /* no answer, authority or additional records */
    sendto(server_fd, q, end, 0, (struct sockaddr *)&from, fl);
  }
  return NULL;
}

/* Namespaces, the loopback, the server socket, resolv.conf. Returns false
 * where this system does not allow it (the test is then skipped). */
static bool setup(void) {
  if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0) {
      perror("unshare");
      return false;
    }
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    perror("mount private");
    return false;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    perror("SIOCGIFFLAGS");
    return false;
  }
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    perror("SIOCSIFFLAGS");
    return false;
  }
  close(s);
  server_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(53),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(server_fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("bind 127.0.0.1:53");
    return false;
  }
  struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
  setsockopt(server_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char conf[] = "/tmp/weft-resolv-XXXXXX";
  int fd = mkstemp(conf);
  CHECK(fd >= 0);
  static const char text[] =
      "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
  CHECK_EQ(write(fd, text, sizeof text - 1), (long long)(sizeof text - 1));
  close(fd);
  int m = mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL);
  unlink(conf); /* the mount keeps it */
  if (m != 0) {
    perror("bind-mount resolv.conf");
    return false;
  }
  return true;
}

static int lookup_task(void *arg, void **result) {
  (void)result;
  struct addrinfo *res = NULL;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  int err = weft_getaddrinfo(arg, "80", &hints, &res, -1);
  if (!err)
    freeaddrinfo(res);
  return err;
}

static int t_dns(void *arg, void **result) {
  (void)arg;
  (void)result;
  struct addrinfo *res = NULL;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  /* Resolves: numeric, /etc/hosts. */
  CHECK_EQ(weft_getaddrinfo("127.0.0.1", "80", &hints, &res, DL(5000)), 0);
  CHECK_EQ(res->ai_family, AF_INET);
  freeaddrinfo(res);
  CHECK_EQ(weft_getaddrinfo("localhost", NULL, &hints, &res, DL(5000)), 0);
  freeaddrinfo(res);
  CHECK_EQ(weft_getaddrinfo(NULL, NULL, NULL, &res, -1), -EINVAL);
  /* Does not resolve: the server said NXDOMAIN. */
  uint32_t q0 = weft__load_acquire(&queries);
  CHECK_EQ(weft_getaddrinfo("nx-host.weft.test", NULL, &hints, &res, DL(5000)),
           -ENXIO);
  CHECK(weft__load_acquire(&queries) > q0); /* it asked our server */
  weft_io *c;
  CHECK_EQ(weft_tcp_connect("nx-host.weft.test", 80, DL(5000), &c), -ENXIO);

  /* Connect by name. */
  weft_io *l;
  CHECK_EQ(weft_tcp_listen("127.0.0.1", 0, NULL, &l), 0);
  int port = weft_io_local_port(l);
  CHECK_EQ(weft_tcp_connect("localhost", (uint16_t)port, DL(5000), &c), 0);
  weft_io *s;
  CHECK_EQ(weft_io_accept(l, &s, NULL, NULL, DL(5000)), 0);
  CHECK_EQ(weft_io_write_all(c, "x", 1, DL(5000), NULL), 0);
  char b;
  CHECK_EQ(weft_io_read(s, &b, 1, DL(5000)), 1);
  weft_io_close(s);
  weft_io_close(c);
  weft_io_close(l);

  /* A deadline, and a cancellation, end the wait at once. */
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_getaddrinfo("slow-1.weft.test", NULL, &hints, &res, DL(100)),
           -ETIMEDOUT);
  CHECK(weft_now_ns() - t0 < 900 * MS); /* the resolver's own: 1 s */
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, lookup_task, "slow-2.weft.test"), 0);
  weft_sleep_ms(50);
  t0 = weft_now_ns();
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK(weft_now_ns() - t0 < 500 * MS);
  weft_detach(t);

  /* Slow look-ups do not starve files. The DNS lane has 2 threads, the
   * main lane 2; 6 look-ups of about 1 s each keep the DNS lane busy for
   * about 3 s, during which 40 file operations finish. */
  weft_task *lk[6];
  char names[6][32];
  for (int i = 0; i < 6; i++) {
    snprintf(names[i], sizeof names[i], "slow-burst-%d.weft.test", i);
    CHECK_EQ(weft_spawn(&lk[i], lookup_task, names[i]), 0);
  }
  weft_sleep_ms(100); /* the look-ups are in the lane, the rest queued */
  char path[] = "/tmp/weft-dns-files-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  t0 = weft_now_ns();
  for (int i = 0; i < 40; i++) {
    CHECK_EQ(weft_file_pwrite(fd, "abcd", 4, i * 4), 4);
    struct stat st;
    CHECK_EQ(weft_file_stat(path, &st), 0);
  }
  int64_t files_ns = weft_now_ns() - t0;
  int pending = 0;
  for (int i = 0; i < 6; i++)
    pending += weft_task_state_of(lk[i]) == WEFT_TASK_PENDING;
  fprintf(stderr, "80 file operations: %.1f ms, look-ups still pending: %d\n",
          (double)files_ns / 1e6, pending);
  CHECK(files_ns < 900 * MS);
  CHECK(pending > 0); /* the files did not wait for the look-ups */
  CHECK_EQ(weft_file_close(fd), 0);
  CHECK_EQ(weft_file_unlink(path), 0);
  for (int i = 0; i < 6; i++) {
    int rc = weft_await(lk[i], NULL);
    CHECK(rc == -EAGAIN || rc == -ENXIO); /* the resolver timed out */
    weft_detach(lk[i]);
  }
  return 0;
}

static int child(void) {
  if (!setup())
    return 77;
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, server, NULL), 0);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.blocking_threads = 2;
  cfg.dns_threads = 2;
  for (int w = 1; w <= 2; w++) {
    cfg.workers = w;
    fprintf(stderr, "-- t_dns on %d worker(s)\n", w);
    CHECK_EQ(weft_run(&cfg, t_dns, NULL, NULL), 0);
  }
  weft__store_release(&server_stop, 1u);
  pthread_join(th, NULL);
  fprintf(stderr, "queries %u, left unanswered %u\n",
          weft__load_acquire(&queries), weft__load_acquire(&silent));
  CHECK(weft__load_acquire(&silent) > 0);
  return 0;
}

int main(void) {
  /* unshare needs a single-threaded process: a fresh child is one (the
   * sanitizers' own threads are not copied by fork). */
  fflush(stderr);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    _exit(child());
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    fprintf(stderr, "skipped: no network and mount namespaces here\n");
    return 77;
  }
  CHECK_EQ(WEXITSTATUS(status), 0);
  fprintf(stderr, "ok\n");
  return 0;
}
