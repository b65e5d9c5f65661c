/*
 * Files through the blocking pool (weft/fs.h): a round trip (write, fsync,
 * stat, pread, pwrite, read, rename, unlink) on one worker and two, from
 * several tasks at once, and the errors of missing files and bad fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[64];
#define SIZE ((size_t)1 << 20)
#define CHUNK ((size_t)64 * 1024)

static int round_trip(void *arg, void **result) {
  (void)result;
  int id = (int)(intptr_t)arg;
  char path[128], path2[128];
  snprintf(path, sizeof path, "%s/f%d", dir, id);
  snprintf(path2, sizeof path2, "%s/g%d", dir, id);
  unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
  for (size_t i = 0; i < SIZE; i++)
    data[i] = (unsigned char)(i * 31 + (size_t)id + i / 997);
  int fd = weft_file_open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
  CHECK(fd >= 0);
  CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  for (size_t off = 0; off < SIZE;) {
    ssize_t n = weft_file_write(fd, data + off, CHUNK);
    CHECK(n > 0);
    off += (size_t)n;
  }
  CHECK_EQ(weft_file_fsync(fd), 0);
  struct stat st;
  CHECK_EQ(weft_file_stat(path, &st), 0);
  CHECK_EQ(st.st_size, (long long)SIZE);
  /* pread at an odd offset; pwrite over a piece, then read it all back. */
  unsigned char piece[100];
  CHECK_EQ(weft_file_pread(fd, piece, sizeof piece, 123457), 100);
  CHECK(memcmp(piece, data + 123457, 100) == 0);
  memset(data + 5000, 0xAB, 300);
  CHECK_EQ(weft_file_pwrite(fd, data + 5000, 300, 5000), 300);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  size_t got = 0;
  for (;;) {
    ssize_t n = weft_file_read(fd, back + got, SIZE - got);
    CHECK(n >= 0);
    if (n == 0)
      break;
    got += (size_t)n;
  }
  CHECK_EQ(got, SIZE);
  CHECK(memcmp(back, data, SIZE) == 0);
  CHECK_EQ(weft_file_close(fd), 0);
  CHECK_EQ(weft_file_rename(path, path2), 0);
  CHECK_EQ(weft_file_stat(path, &st), -ENOENT);
  CHECK_EQ(weft_file_stat(path2, &st), 0);
  CHECK_EQ(weft_file_unlink(path2), 0);
  CHECK_EQ(weft_file_unlink(path2), -ENOENT);
  free(data);
  free(back);
  return 0;
}

static int t_files(void *arg, void **result) {
  (void)arg;
  (void)result;
  CHECK_EQ(round_trip((void *)0, NULL), 0);
  /* Several at once. */
  weft_task *t[6];
  for (int i = 0; i < 6; i++)
    CHECK_EQ(weft_spawn(&t[i], round_trip, (void *)(intptr_t)(i + 1)), 0);
  CHECK_EQ(weft_gather(t, 6, NULL, NULL, 0), 0);
  for (int i = 0; i < 6; i++)
    weft_detach(t[i]);
  /* Errors. */
  char path[128];
  snprintf(path, sizeof path, "%s/missing/x", dir);
  CHECK_EQ(weft_file_open(path, O_RDONLY, 0), -ENOENT);
  CHECK_EQ(weft_file_open(NULL, O_RDONLY, 0), -EINVAL);
  char b;
  CHECK_EQ(weft_file_read(-1, &b, 1), -EBADF);
  CHECK_EQ(weft_file_fsync(-1), -EBADF);
  CHECK_EQ(weft_file_rename(path, path), -ENOENT);
  CHECK_EQ(weft_file_stat(NULL, NULL), -EINVAL);
  return 0;
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/weft-files-XXXXXX");
  CHECK(mkdtemp(dir));
  RUN(t_files);
  RUN_WORKERS(t_files, 2);
  CHECK_EQ(rmdir(dir), 0); /* every file was removed */
  CHECK_EQ(weft_file_open("/", O_RDONLY, 0), -EPERM); /* outside a task */
  fprintf(stderr, "ok\n");
  return 0;
}
