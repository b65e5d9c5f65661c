/*
 * tests/unit/peer.h: the other end of a connection in the I/O tests: plain
 * blocking sockets on a plain thread, so that what the tests check does not
 * depend on weft's own scheduling of the peer.
 */
#ifndef WEFT_TESTS_PEER_H
#define WEFT_TESTS_PEER_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/* A blocking connection to 127.0.0.1:port (or ::1 with v6). */
static inline int peer_connect(uint16_t port, bool v6) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(fd >= 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {10, 0}; /* a stuck test fails instead of hanging */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int r;
  if (v6) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    r = connect(fd, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r = connect(fd, (struct sockaddr *)&a, sizeof a);
  }
  CHECK_EQ(r, 0);
  return fd;
}

static inline void peer_send(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    CHECK(n > 0);
    p += n;
    len -= (size_t)n;
  }
}

/* Reads exactly len bytes; returns false at end of stream. */
static inline bool peer_recv(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len) {
    ssize_t n = recv(fd, p, len, 0);
    if (n == 0)
      return false;
    CHECK(n > 0);
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Closes with a reset (SO_LINGER 0) instead of an orderly end. */
static inline void peer_reset(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

/* The number of fds this process has open. */
static inline int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  CHECK(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1; /* the directory's own fd */
}

static inline pthread_t peer_start(void *(*fn)(void *), void *arg) {
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, fn, arg), 0);
  return t;
}

#endif /* WEFT_TESTS_PEER_H */
