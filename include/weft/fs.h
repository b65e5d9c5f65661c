/*
 * weft/fs.h: regular files and DNS look-ups from tasks, through the
 * blocking pool (weft/exec.h; DESIGN 5: epoll reports regular files as
 * always ready, and getaddrinfo blocks).
 *
 * Conventions are weft/rt.h's. Each call suspends the calling task while a
 * pool thread makes the system call; -EPERM outside a task, -ESHUTDOWN
 * once the runtime is shutting down.
 *
 * Files take plain fds (weft opens them O_CLOEXEC). Cancellation of a file
 * call: an operation still queued (every pool thread busy) is dropped and
 * the call returns -ECANCELED, with nothing done; one already running is
 * finished (file operations are short, and they read or write the
 * caller's memory), its result returned, and the cancellation delivered
 * at the task's next suspension point.
 */
#ifndef WEFT_FS_H
#define WEFT_FS_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* <netdb.h> defines it only for POSIX builds (_POSIX_C_SOURCE 200112L or
 * later, or _GNU_SOURCE); declared here so that any build can include us. */
struct addrinfo;

/* open(2) with O_CLOEXEC added. Returns the fd, or -ENOENT, -EACCES,
 * -EEXIST, -EISDIR, -EMFILE, -EINVAL (NULL path), ... */
int weft_file_open(const char *path, int flags, mode_t mode);

/* read(2), write(2), pread(2), pwrite(2): one system call each. Return the
 * count (read: 0 at end of file) or -EBADF, -EIO, -ENOSPC, -EINVAL, ... */
ssize_t weft_file_read(int fd, void *buf, size_t len);
ssize_t weft_file_write(int fd, const void *buf, size_t len);
ssize_t weft_file_pread(int fd, void *buf, size_t len, off_t offset);
ssize_t weft_file_pwrite(int fd, const void *buf, size_t len, off_t offset);

/* fsync(2). Returns 0, -EBADF, -EIO, -EINVAL, ... */
int weft_file_fsync(int fd);

/* stat(2) into *st. Returns 0, -ENOENT, -EACCES, -EINVAL (NULL), ... */
int weft_file_stat(const char *path, struct stat *st);

/* unlink(2), rename(2). Return 0, -ENOENT, -EACCES, -EISDIR, ... */
int weft_file_unlink(const char *path);
int weft_file_rename(const char *from, const char *to);

/* close(2), in place: does not suspend. Returns 0 or -EBADF, -EIO. */
int weft_file_close(int fd);

/* getaddrinfo(3) on the blocking pool's DNS lane (its own threads, capped
 * by weft_config.dns_threads, so look-ups stuck on a resolver cannot take
 * the threads files use). host, service and hints as getaddrinfo's; free
 * *res with freeaddrinfo(). Suspends until the answer, the deadline
 * (absolute, weft_now_ns; WEFT_NO_DEADLINE waits for the resolver's own
 * time-out) or a cancellation.
 * Returns 0, or: -ENXIO (the name does not resolve: EAI_NONAME,
 * EAI_NODATA), -EAGAIN (temporary failure, such as a resolver that does
 * not answer: EAI_AGAIN), -EIO (EAI_FAIL), -ENOMEM, -EINVAL (bad hints or
 * service, both host and service NULL), -ETIMEDOUT (the deadline),
 * -ECANCELED, or the errno of EAI_SYSTEM.
 * Cancellation and deadline: the call returns at once; the look-up
 * finishes on its thread and its answer is freed there. */
int weft_getaddrinfo(const char *host, const char *service,
                     const struct addrinfo *hints, struct addrinfo **res,
                     int64_t deadline);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_FS_H */
