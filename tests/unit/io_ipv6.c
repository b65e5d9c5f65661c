/*
 * IPv6 on ::1: a listener, a connection from a plain thread and one from a
 * task, the peer's address family, UDP. Skipped (exit 77, which ctest
 * reports as skipped) with a message when the machine has no ::1.
 */
#include "peer.h"

#define MS ((int64_t)1000000)
#define DL(ns) (weft_now_ns() + (ns))

static uint16_t port;
static bool skipped;

static void *v6_peer(void *arg) {
  (void)arg;
  int fd = peer_connect(port, true);
  peer_send(fd, "six", 3);
  char b[3];
  CHECK(peer_recv(fd, b, 3));
  CHECK(memcmp(b, "six", 3) == 0);
  close(fd);
  return NULL;
}

static int main_task(void *arg, void **res) {
  (void)arg, (void)res;
  weft_io *l, *c, *s;
  int err = weft_tcp_listen("::1", 0, NULL, &l);
  if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
    fprintf(stderr, "io_ipv6: skipped: this machine has no ::1 (%s)\n",
            weft_strerror(err));
    skipped = true;
    return 0;
  }
  CHECK_EQ(err, 0);
  port = (uint16_t)weft_io_local_port(l);
  pthread_t t = peer_start(v6_peer, NULL);
  struct sockaddr_storage from;
  CHECK_EQ(weft_io_accept(l, &s, &from, NULL, DL(5000 * MS)), 0);
  CHECK_EQ(from.ss_family, AF_INET6);
  char b[3];
  CHECK_EQ(weft_io_read_exactly(s, b, 3, DL(5000 * MS), NULL), 3);
  CHECK_EQ(weft_io_write_all(s, b, 3, DL(5000 * MS), NULL), 0);
  CHECK_EQ(weft_io_close(s), 0);
  /* A task connects with the bracketed form. */
  CHECK_EQ(weft_tcp_connect("[::1]", port, DL(5000 * MS), &c), 0);
  CHECK_EQ(weft_io_accept(l, &s, &from, NULL, DL(5000 * MS)), 0);
  CHECK_EQ(weft_io_write_all(c, "ok", 2, DL(5000 * MS), NULL), 0);
  CHECK_EQ(weft_io_read_exactly(s, b, 2, DL(5000 * MS), NULL), 2);
  CHECK(memcmp(b, "ok", 2) == 0);
  CHECK_EQ(weft_io_close(c), 0);
  CHECK_EQ(weft_io_close(s), 0);
  CHECK_EQ(weft_io_close(l), 0);
  /* UDP on ::1. */
  weft_io *u1, *u2;
  CHECK_EQ(weft_udp_bind("::1", 0, &u1), 0);
  CHECK_EQ(weft_udp_bind("::1", 0, &u2), 0);
  struct sockaddr_storage a2;
  socklen_t l2;
  CHECK_EQ(weft_io_local_addr(u2, &a2, &l2), 0);
  CHECK_EQ(
      weft_udp_send(u1, "v6", 2, (struct sockaddr *)&a2, l2, DL(1000 * MS)), 2);
  CHECK_EQ(weft_udp_recv(u2, b, 3, &from, NULL, DL(1000 * MS)), 2);
  CHECK_EQ(from.ss_family, AF_INET6);
  CHECK_EQ(weft_io_close(u1), 0);
  CHECK_EQ(weft_io_close(u2), 0);
  pthread_join(t, NULL);
  return 0;
}

int main(void) {
  RUN_WORKERS(main_task, 2);
  if (skipped)
    return 77;
  fprintf(stderr, "io_ipv6: all passed\n");
  return 0;
}
