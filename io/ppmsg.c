/*
 * io/ppmsg.c: the process pool's messages (the protocol is in io/ppmsg.h).
 * Every function returns -errno read on the calling thread (DESIGN 4.3) and
 * never suspends; a caller on a non-blocking socket waits and calls again.
 */
#include "io/ppmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt/common.h"

#define SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int sealed_memfd(const void *p, size_t len) {
  int fd = memfd_create("weft-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -errno;
  const char *b = p;
  for (size_t off = 0; off < len;) {
    ssize_t n = write(fd, b + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = n < 0 ? -errno : -EIO;
      close(fd);
      return err;
    }
    off += (size_t)n;
  }
  if (fcntl(fd, F_ADD_SEALS, SEALS) != 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

WEFT_NOINLINE int weft__pp_send(int sock, weft__pp_hdr *h, const void *payload,
                                size_t len, int pass_fd) {
  h->magic = WEFT__PP_MAGIC;
  h->len = len;
  h->in_fd = len > WEFT__PP_INLINE;
  int fd = pass_fd;
  if (h->in_fd) {
    fd = sealed_memfd(payload, len);
    if (fd < 0)
      return fd;
  }
  struct iovec iov[2] = {{h, sizeof *h}, {(void *)payload, len}};
  union {
    struct cmsghdr c;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = h->in_fd || !len ? 1 : 2};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  do
    n = sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? -errno : 0;
  if (h->in_fd)
    close(fd);
  return err == -EWOULDBLOCK ? -EAGAIN : err;
}

static int read_memfd(int fd, uint64_t len, void **out) {
  int seals = fcntl(fd, F_GET_SEALS);
  struct stat st;
  if (seals < 0 || (seals & SEALS) != SEALS || fstat(fd, &st) != 0 ||
      (uint64_t)st.st_size != len)
    return -EBADMSG;
  char *b = malloc(len);
  if (!b)
    return -ENOMEM;
  for (size_t off = 0; off < len;) {
    ssize_t n = pread(fd, b + off, len - off, (off_t)off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      free(b);
      return n < 0 ? -errno : -EBADMSG;
    }
    off += (size_t)n;
  }
  *out = b;
  return 0;
}

WEFT_NOINLINE int weft__pp_recv(int sock, weft__pp_hdr *h, void **payload,
                                int *got_fd, bool wait) {
  *payload = NULL;
  if (got_fd)
    *got_fd = -1;
  char *buf = malloc(sizeof *h + WEFT__PP_INLINE);
  if (!buf)
    return -ENOMEM;
  struct iovec iov = {buf, sizeof *h + WEFT__PP_INLINE};
  union {
    struct cmsghdr c;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr m = {.msg_iov = &iov,
                     .msg_iovlen = 1,
                     .msg_control = ctl.buf,
                     .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  do
    n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    int err = n < 0 ? -errno : 0;
    free(buf);
    return err == -EWOULDBLOCK ? -EAGAIN : err;
  }
  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
  int err = 0;
  memcpy(h, buf, n >= (ssize_t)sizeof *h ? sizeof *h : 0);
  bool bad = n < (ssize_t)sizeof *h || h->magic != WEFT__PP_MAGIC ||
             (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
             (!h->in_fd && (uint64_t)(n - (ssize_t)sizeof *h) != h->len);
  if (bad)
    err = -EBADMSG;
  else if (h->in_fd) {
    err = fd < 0 ? -EBADMSG : read_memfd(fd, h->len, payload);
  } else if (h->len) {
    *payload = malloc(h->len);
    if (!*payload)
      err = -ENOMEM;
    else
      memcpy(*payload, buf + sizeof *h, h->len);
  } else if (fd >= 0 && got_fd) {
    *got_fd = fd; /* handed over */
    fd = -1;
  }
  if (fd >= 0)
    close(fd);
  free(buf);
  return err ? err : 1;
}
