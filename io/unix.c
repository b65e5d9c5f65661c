/* io/unix.c: Unix stream sockets (listen and connect by path; accept is
 * io/tcp.c's) and pipes. */
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "io/io.h"
#include "io/stream.h"

static int unix_addr(const char *path, struct sockaddr_un *a, socklen_t *len) {
  if (!path || !*path)
    return -EINVAL;
  size_t n = strlen(path);
  if (n >= sizeof a->sun_path)
    return -ENAMETOOLONG;
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path, path, n + 1);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  return 0;
}

int weft_unix_listen(const char *path, int backlog, weft_io **out) {
  if (!out)
    return -EINVAL;
  struct sockaddr_un a;
  socklen_t len;
  int err = unix_addr(path, &a, &len);
  if (err)
    return err;
  weft_listen_opts opts = {.backlog = backlog};
  return weft__stream_listen((struct sockaddr *)&a, len, &opts, out);
}

int weft_unix_connect(const char *path, int64_t deadline, weft_io **out) {
  if (!out)
    return -EINVAL;
  struct sockaddr_un a;
  socklen_t len;
  int err = unix_addr(path, &a, &len);
  if (err)
    return err;
  return weft__stream_connect((struct sockaddr *)&a, len, deadline, out);
}

int weft_pipe(weft_io *ends[2]) {
  if (!ends)
    return -EINVAL;
  int fds[2];
  int err = weft__sys_pipe(fds);
  if (err)
    return err;
  err = weft__io_register(fds[0], WEFT__IO_OTHER | WEFT__IO_STREAM, &ends[0]);
  if (err) {
    weft__sys_close(fds[0]);
    weft__sys_close(fds[1]);
    return err;
  }
  err = weft__io_register(fds[1], WEFT__IO_OTHER | WEFT__IO_STREAM, &ends[1]);
  if (err) {
    weft_io_close(ends[0]);
    weft__sys_close(fds[1]);
    return err;
  }
  return 0;
}

int weft_io_adopt(int fd, weft_io **out) {
  if (fd < 0 || !out)
    return -EINVAL;
  int err = weft__sys_make_async(fd);
  if (err)
    return err;
  int type = 0;
  socklen_t tl = sizeof type;
  bool sock = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0;
  return weft__io_register(fd, sock ? WEFT__IO_SOCKET : WEFT__IO_OTHER, out);
}
