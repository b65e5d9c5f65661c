/* io/udp.c: UDP sockets: bind, send one datagram, receive one. */
#include <errno.h>
#include <sys/socket.h>

#include "io/io.h"

int weft_udp_bind(const char *host, uint16_t port, weft_io **out) {
  if (!out)
    return -EINVAL;
  struct sockaddr_storage ss;
  socklen_t len;
  int err = weft_addr_parse(host, port, &ss, &len);
  if (err)
    return err;
  int fd = weft__sys_socket(ss.ss_family, SOCK_DGRAM);
  if (fd < 0)
    return fd;
  err = weft__sys_bind_listen(fd, (struct sockaddr *)&ss, len, -1);
  if (!err)
    err = weft__io_register(fd, WEFT__IO_SOCKET, out);
  if (err)
    weft__sys_close(fd);
  return err;
}

ssize_t weft_udp_send(weft_io *io, const void *buf, size_t len,
                      const struct sockaddr *addr, socklen_t addr_len,
                      int64_t deadline) {
  if (!io || (!buf && len) || !addr)
    return -EINVAL;
  ssize_t r = weft__io_enter(io);
  if (r)
    return r;
  IO_LOOP(io, WEFT__IO_W, deadline,
          weft__sys_sendto(io->fd, buf, len, addr, addr_len), r);
  weft__io_leave(io);
  return r;
}

ssize_t weft_udp_recv(weft_io *io, void *buf, size_t len,
                      struct sockaddr_storage *from, socklen_t *from_len,
                      int64_t deadline) {
  if (!io || (!buf && len))
    return -EINVAL;
  ssize_t r = weft__io_enter(io);
  if (r)
    return r;
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  IO_LOOP(io, WEFT__IO_R, deadline,
          weft__sys_recvfrom(io->fd, buf, len, &ss, &sl), r);
  weft__io_leave(io);
  if (r >= 0) {
    if (from)
      *from = ss;
    if (from_len)
      *from_len = sl;
  }
  return r;
}
