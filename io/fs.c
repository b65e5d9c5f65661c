/*
 * io/fs.c: regular files through the blocking pool (weft/fs.h).
 *
 * Each call describes its system call in an operation on the caller's
 * stack and runs it with a shielded wait (rt/blocking.h): the call does not
 * return while a pool thread may still use that operation or the caller's
 * buffer, so nothing is copied. The system call's -errno is read on the
 * pool thread that made it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "rt/blocking.h"
#include "weft/fs.h"

enum {
  OP_OPEN,
  OP_READ,
  OP_WRITE,
  OP_PREAD,
  OP_PWRITE,
  OP_FSYNC,
  OP_STAT,
  OP_UNLINK,
  OP_RENAME
};

typedef struct fsop {
  int op;
  int fd, flags;
  mode_t mode;
  const char *path, *path2;
  void *buf;
  size_t len;
  off_t off;
  struct stat *st;
  ssize_t ret; /* the result, or -errno */
} fsop;

static ssize_t run(fsop *o) {
  ssize_t r = -1;
  switch (o->op) {
  case OP_OPEN:
    r = open(o->path, o->flags | O_CLOEXEC, o->mode);
    break;
  case OP_READ:
    r = read(o->fd, o->buf, o->len);
    break;
  case OP_WRITE:
    r = write(o->fd, o->buf, o->len);
    break;
  case OP_PREAD:
    r = pread(o->fd, o->buf, o->len, o->off);
    break;
  case OP_PWRITE:
    r = pwrite(o->fd, o->buf, o->len, o->off);
    break;
  case OP_FSYNC:
    r = fsync(o->fd);
    break;
  case OP_STAT:
    r = stat(o->path, o->st);
    break;
  case OP_UNLINK:
    r = unlink(o->path);
    break;
  case OP_RENAME:
    r = rename(o->path, o->path2);
    break;
  default:
    errno = EINVAL;
  }
  return r < 0 ? -errno : r;
}

static int op_fn(void *arg, void **result) {
  (void)result;
  fsop *o = arg;
  do
    o->ret = run(o);
  while (o->ret == -EINTR);
  return 0;
}

static ssize_t submit(fsop *o) {
  int err = weft__blocking_run(WEFT__LANE_MAIN, op_fn, o, NULL, NULL, true, -1);
  return err ? err : o->ret;
}

int weft_file_open(const char *path, int flags, mode_t mode) {
  if (!path)
    return -EINVAL;
  return (int)submit(
      &(fsop){.op = OP_OPEN, .path = path, .flags = flags, .mode = mode});
}

ssize_t weft_file_read(int fd, void *buf, size_t len) {
  return submit(&(fsop){.op = OP_READ, .fd = fd, .buf = buf, .len = len});
}

ssize_t weft_file_write(int fd, const void *buf, size_t len) {
  return submit(
      &(fsop){.op = OP_WRITE, .fd = fd, .buf = (void *)buf, .len = len});
}

ssize_t weft_file_pread(int fd, void *buf, size_t len, off_t offset) {
  return submit(
      &(fsop){.op = OP_PREAD, .fd = fd, .buf = buf, .len = len, .off = offset});
}

ssize_t weft_file_pwrite(int fd, const void *buf, size_t len, off_t offset) {
  return submit(&(fsop){.op = OP_PWRITE,
                        .fd = fd,
                        .buf = (void *)buf,
                        .len = len,
                        .off = offset});
}

int weft_file_fsync(int fd) {
  return (int)submit(&(fsop){.op = OP_FSYNC, .fd = fd});
}

int weft_file_stat(const char *path, struct stat *st) {
  if (!path || !st)
    return -EINVAL;
  return (int)submit(&(fsop){.op = OP_STAT, .path = path, .st = st});
}

int weft_file_unlink(const char *path) {
  if (!path)
    return -EINVAL;
  return (int)submit(&(fsop){.op = OP_UNLINK, .path = path});
}

int weft_file_rename(const char *from, const char *to) {
  if (!from || !to)
    return -EINVAL;
  return (int)submit(&(fsop){.op = OP_RENAME, .path = from, .path2 = to});
}

int weft_file_close(int fd) {
  return close(fd) == 0 || errno == EINTR ? 0 : -errno;
}
