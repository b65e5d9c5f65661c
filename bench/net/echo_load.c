/*
 * bench/net/echo_load: an echo load generator (not a test). One thread, one
 * epoll, plain non-blocking sockets, so the client side costs the same
 * whatever server it drives.
 *
 *   echo_load PORT [SERVER_PID [CONNECTIONS [SECONDS [SIZE]]]]
 *       defaults: -, 100 connections, 5 seconds, 64-byte messages
 *
 * Each connection keeps one message in flight: send SIZE bytes, wait for
 * all SIZE back, send again. Prints round trips per second, the p50 and p99
 * round-trip latency, and, given the server's pid, the server's CPU time
 * per round trip (user + system from /proc/PID/stat over the run).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 10000
#define BUCKETS 100000 /* latency histogram, 1 us buckets up to 100 ms */

typedef struct conn {
  int fd;
  size_t got;
  int64_t sent_at;
} conn;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double cpu_seconds(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* fields after the command name */
  unsigned long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long num(int argc, char **argv, int i, long dflt) {
  return i < argc ? strtol(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [SERVER_PID [CONNS [SECONDS [SIZE]]]]\n",
            argv[0]);
    return 2;
  }
  int port = (int)num(argc, argv, 1, 0), pid = (int)num(argc, argv, 2, 0);
  int nconn = (int)num(argc, argv, 3, 100);
  double secs = (double)num(argc, argv, 4, 5);
  size_t size = (size_t)num(argc, argv, 5, 64);
  if (nconn < 1 || nconn > MAX_CONNS || size < 1 || size > 65536)
    return 2;
  static conn cs[MAX_CONNS];
  static uint64_t hist[BUCKETS + 1];
  char *msg = malloc(size), *in = malloc(size);
  memset(msg, 'x', size);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < nconn; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      perror("connect");
      return 1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cs[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  double cpu0 = pid ? cpu_seconds(pid) : 0;
  int64_t t0 = now_ns(), end = t0 + (int64_t)(secs * 1e9);
  for (int i = 0; i < nconn; i++) {
    cs[i].sent_at = now_ns();
    if (send(cs[i].fd, msg, size, MSG_NOSIGNAL) != (ssize_t)size)
      return 1;
  }
  uint64_t trips = 0;
  struct epoll_event evs[256];
  int64_t t = t0;
  while (t < end) {
    int n = epoll_wait(ep, evs, 256, 100);
    t = now_ns();
    for (int k = 0; k < n; k++) {
      conn *c = &cs[evs[k].data.u32];
      ssize_t r = recv(c->fd, in, size - c->got, MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
          continue;
        fprintf(stderr, "connection lost\n");
        return 1;
      }
      c->got += (size_t)r;
      if (c->got < size)
        continue;
      c->got = 0;
      int64_t us = (t - c->sent_at) / 1000;
      hist[us < BUCKETS ? us : BUCKETS]++;
      trips++;
      c->sent_at = t;
      if (t < end && send(c->fd, msg, size, MSG_NOSIGNAL) != (ssize_t)size)
        return 1;
    }
  }
  double elapsed = (double)(now_ns() - t0) / 1e9;
  double cpu1 = pid ? cpu_seconds(pid) : 0;
  uint64_t seen = 0, p50 = 0, p99 = 0;
  for (int us = 0; us <= BUCKETS; us++) {
    seen += hist[us];
    if (!p50 && seen * 2 >= trips)
      p50 = (uint64_t)us;
    if (!p99 && seen * 100 >= trips * 99) {
      p99 = (uint64_t)us;
      break;
    }
  }
  printf("%d connections, %zu-byte messages, %.1f s: %.0f round trips/s, "
         "p50 %llu us, p99 %llu us",
         nconn, size, elapsed, (double)trips / elapsed, (unsigned long long)p50,
         (unsigned long long)p99);
  if (pid)
    printf(", server CPU %.2f us per round trip",
           (cpu1 - cpu0) * 1e6 / (double)trips);
  printf("\n");
  for (int i = 0; i < nconn; i++)
    close(cs[i].fd);
  free(msg);
  free(in);
  return 0;
}
