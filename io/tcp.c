/*
 * io/tcp.c: numeric addresses, stream listeners (TCP here, Unix in
 * io/unix.c), accept with its back-off when fds run out, and a stream
 * connect that waits for writability and then reads SO_ERROR.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "io/io.h"
#include "io/stream.h"
#include "rt/common.h"
#include "weft/fs.h"
#include "weft/rt.h"

#define BACKOFF_MIN_NS ((int64_t)1000 * 1000)
#define BACKOFF_MAX_NS ((int64_t)100 * 1000 * 1000)

int weft_addr_parse(const char *host, uint16_t port,
                    struct sockaddr_storage *addr, socklen_t *len) {
  if (!addr || !len)
    return -EINVAL;
  memset(addr, 0, sizeof *addr);
  if (!host || !*host) {
    struct sockaddr_in *a = (struct sockaddr_in *)addr;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    *len = sizeof *a;
    return 0;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return 0;
  }
  char buf[INET6_ADDRSTRLEN + 2];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    if (n - 2 >= sizeof buf)
      return -EINVAL;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    host = buf;
  }
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *len = sizeof *a6;
    return 0;
  }
  return -EINVAL;
}

int weft__stream_listen(const struct sockaddr *a, socklen_t len,
                        const weft_listen_opts *opts, weft_io **out) {
  int backlog = opts && opts->backlog > 0 ? opts->backlog : SOMAXCONN;
  int fd = weft__sys_socket(a->sa_family, SOCK_STREAM);
  if (fd < 0)
    return fd;
  int err = 0;
  if (a->sa_family != AF_UNIX)
    err = weft__sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (!err && opts && opts->reuseport)
    err = weft__sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (!err && a->sa_family == AF_INET6)
    err = weft__sys_setsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                                   opts && opts->v6only);
  if (!err)
    err = weft__sys_bind_listen(fd, a, len, backlog);
  if (!err)
    err = weft__io_register(fd, WEFT__IO_SOCKET, out);
  if (err)
    weft__sys_close(fd);
  return err;
}

int weft_tcp_listen(const char *host, uint16_t port,
                    const weft_listen_opts *opts, weft_io **out) {
  if (!out)
    return -EINVAL;
  struct sockaddr_storage ss;
  socklen_t len;
  int err = weft_addr_parse(host, port, &ss, &len);
  if (err)
    return err;
  return weft__stream_listen((struct sockaddr *)&ss, len, opts, out);
}

/* Latency over batching for the request-response traffic weft serves (Go
 * does the same): small writes go out at once. */
static void tcp_nodelay(int fd, int family) {
  if (family == AF_INET || family == AF_INET6)
    (void)weft__sys_setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

static bool out_of_fds(int err) {
  return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM;
}

int weft_io_accept(weft_io *listener, weft_io **out,
                   struct sockaddr_storage *peer, socklen_t *peer_len,
                   int64_t deadline) {
  if (!listener || !out)
    return -EINVAL;
  int err = weft__io_enter(listener);
  if (err)
    return err;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int64_t backoff = BACKOFF_MIN_NS;
  for (;;) {
    int fd;
    IO_LOOP(listener, WEFT__IO_R, deadline,
            weft__sys_accept(listener->fd, &ss, &len), fd);
    if (fd >= 0) {
      tcp_nodelay(fd, ss.ss_family);
      err = weft__io_register(fd, WEFT__IO_SOCKET | WEFT__IO_STREAM, out);
      if (err)
        weft__sys_close(fd);
      break;
    }
    if (fd == -ECONNABORTED || fd == -EPROTO)
      continue; /* that connection is gone; the next one may not be */
    if (!out_of_fds(fd)) {
      err = fd;
      break;
    }
    /* Out of fds: back off and try again; the connection waits in the
     * backlog, and the other tasks go on serving theirs. */
    int64_t wait = backoff;
    if (deadline >= 0) {
      int64_t left = deadline - weft_now_ns();
      if (left <= 0) {
        err = -ETIMEDOUT;
        break;
      }
      wait = left < wait ? left : wait;
    }
    err = weft_sleep_ns(wait);
    if (err)
      break;
    backoff = backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : backoff * 2;
  }
  weft__io_leave(listener);
  if (!err) {
    if (peer)
      *peer = ss;
    if (peer_len)
      *peer_len = len;
  }
  return err;
}

int weft__stream_connect(const struct sockaddr *a, socklen_t len,
                         int64_t deadline, weft_io **out) {
  int fd = weft__sys_socket(a->sa_family, SOCK_STREAM);
  if (fd < 0)
    return fd;
  weft_io *io;
  int err = weft__io_register(fd, WEFT__IO_SOCKET | WEFT__IO_STREAM, &io);
  if (err) {
    weft__sys_close(fd);
    return err;
  }
  tcp_nodelay(fd, a->sa_family);
  uint64_t s0 = weft__io_state(io);
  err = weft__sys_connect(fd, a, len);
  while (err == -EINPROGRESS) {
    /* In progress: writable means done, one way or the other. */
    err = weft__io_wait_dir(io, WEFT__IO_W, s0, deadline);
    if (err)
      break;
    s0 = weft__io_state(io);
    int ready = weft__sys_poll1(fd, POLLOUT);
    if (ready < 0)
      err = ready;
    else if (ready == 0)
      err = -EINPROGRESS;
    else
      err = weft__sys_sock_error(fd);
  }
  if (err) {
    weft_io_close(io);
    return err;
  }
  weft__io_budget();
  *out = io;
  return 0;
}

int weft_tcp_connect(const char *host, uint16_t port, int64_t deadline,
                     weft_io **out) {
  if (!out || !host)
    return -EINVAL;
  struct sockaddr_storage ss;
  socklen_t len;
  int err = weft_addr_parse(host, port, &ss, &len);
  if (err != -EINVAL || !*host)
    return err ? err
               : weft__stream_connect((struct sockaddr *)&ss, len, deadline,
                                      out);
  /* A host name (issue 7): resolve on the blocking pool's DNS lane, then
   * try each address in the resolver's order until one connects. */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res;
  err = weft_getaddrinfo(host, NULL, &hints, &res, deadline);
  if (err)
    return err;
  err = -EHOSTUNREACH;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET)
      ((struct sockaddr_in *)a->ai_addr)->sin_port = htons(port);
    else if (a->ai_family == AF_INET6)
      ((struct sockaddr_in6 *)a->ai_addr)->sin6_port = htons(port);
    else
      continue;
    err = weft__stream_connect(a->ai_addr, a->ai_addrlen, deadline, out);
    if (!err || err == -ECANCELED || err == -ETIMEDOUT)
      break;
  }
  freeaddrinfo(res);
  return err;
}

int weft_io_local_port(const weft_io *io) {
  struct sockaddr_storage ss;
  int err = weft_io_local_addr(io, &ss, NULL);
  if (err)
    return err;
  if (ss.ss_family == AF_INET)
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return -EAFNOSUPPORT;
}
