/*
 * weft/io.h: network and pipe I/O from tasks, on the per-worker epoll
 * reactors (DESIGN 5).
 *
 * Conventions, for every function below unless it says otherwise:
 * - Errors are negative errno codes, never errno: -ECONNRESET (the peer
 *   reset the connection), -EPIPE (writing to a connection the peer closed),
 *   -ECONNREFUSED, -ETIMEDOUT (the call's deadline passed, or the kernel gave
 *   up on a TCP connect), -ECANCELED (the calling task was cancelled, or the
 *   object was closed by another task while this one waited), -EBADF (the
 *   object is closed), -EPERM (called outside a task), -EINVAL (bad input).
 * - `deadline` is absolute, on weft_now_ns()'s clock; WEFT_NO_DEADLINE (-1)
 *   waits for as long as it takes. A deadline already past still lets an
 *   operation that needs no wait complete.
 * - An operation tries its system call first and suspends only when the fd
 *   is not ready (EAGAIN); it then waits on the fd's home reactor and may
 *   resume on another worker. An operation that completes without
 *   suspending many times in a row yields once in a while (the cooperative
 *   budget), so one busy connection cannot starve the other tasks of its
 *   worker; a cancellation is never delivered by that yield.
 * - A task cancelled while it waits gets -ECANCELED and the object stays
 *   usable. What is lost is written per function ("Cancellation").
 * - Every fd weft makes is O_CLOEXEC and non-blocking; sockets send with
 *   MSG_NOSIGNAL, and pipe writes block SIGPIPE around the call, so a closed
 *   peer is -EPIPE, never a signal.
 * - An object is registered in the reactor of the worker running the task
 *   that made it (its home) and may be used from tasks on any worker. The
 *   runtime's shutdown closes objects left open; a handle must not be used
 *   after weft_io_close or after its runtime ended.
 * - Several tasks may wait on one object at once (a reader and a writer on
 *   one connection, several acceptors on one listener). Two tasks reading
 *   (or writing) one stream at the same time interleave their bytes as the
 *   kernel does.
 */
#ifndef WEFT_IO_H
#define WEFT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An fd registered with a reactor: a socket, a listener, a pipe end. */
typedef struct weft_io weft_io;

#define WEFT_NO_DEADLINE ((int64_t)-1)

/* The direction weft_io_wait waits for. */
enum { WEFT_IO_READ = 1, WEFT_IO_WRITE = 2 };

/* ---- any fd -------------------------------------------------------------- */

/* Adopts an fd the caller opened (a library's socket, an inherited pipe):
 * makes it non-blocking and close-on-exec and registers it with the current
 * worker's reactor. The fd then belongs to the object: weft_io_close closes
 * it. Does not suspend. Returns 0 and stores the object in *out, or -EINVAL
 * (a negative fd, NULL out), -EPERM (not in a task), -EBADF, -ENOMEM, or
 * epoll_ctl's error (-EPERM for a regular file, which epoll does not take:
 * use the blocking pool for files). On error the fd is left open. */
int weft_io_adopt(int fd, weft_io **out);

/* The object's fd, for system calls weft does not wrap (setsockopt,
 * getpeername, a library's own read). Do not close it: use weft_io_close.
 * Returns -EBADF for a closed object. Any thread. */
int weft_io_fd(const weft_io *io);

/* The primitive under every operation here, public so that libraries with
 * their own I/O (OpenSSL, libpq, c-ares) can be driven from tasks: returns
 * when the fd is ready in the one direction asked (WEFT_IO_READ or
 * WEFT_IO_WRITE; end of stream and errors count as ready), when the
 * deadline passes, or when the task is cancelled. Use it after the
 * library's call reported that it would block (EAGAIN, SSL_ERROR_WANT_READ,
 * PGRES_POLLING_WRITING), then repeat the call. It looks at the fd's level
 * first (a zero-timeout poll), so an edge that came before the call is not
 * lost. Returns 0 (ready), -ETIMEDOUT, -ECANCELED, -EBADF, -EINVAL (events
 * not exactly one direction), -EPERM. Suspends unless the fd is ready.
 * Cancellation: safe; nothing is consumed, the fd is untouched. */
int weft_io_wait(weft_io *io, int events, int64_t deadline);

/* Closes the object (any thread, in a task or not): removes the fd from its
 * home reactor, wakes every task waiting on it with -ECANCELED, and closes
 * the fd once no operation is inside a system call on it (at once when none
 * is). Returns 0, or -EBADF if it was already closed (or io is NULL). Does
 * not suspend. */
int weft_io_close(weft_io *io);

/* Reads up to len bytes. Returns the count (0 at end of stream, or when len
 * is 0), or -ECONNRESET, -ETIMEDOUT, -ECANCELED, -EBADF, ... Suspends until
 * some data, the end or an error is there.
 * Cancellation: safe; no byte is consumed by a read that returns
 * -ECANCELED. */
ssize_t weft_io_read(weft_io *io, void *buf, size_t len, int64_t deadline);

/* Reads exactly len bytes unless the stream ends first. Returns len, or
 * fewer at end of stream (the count read), or a negative error; if got is
 * not NULL it always receives the count stored in buf.
 * Cancellation: not safe as a whole: the bytes read before -ECANCELED (or
 * -ETIMEDOUT) are in buf and counted in *got, and are gone from the fd. */
ssize_t weft_io_read_exactly(weft_io *io, void *buf, size_t len,
                             int64_t deadline, size_t *got);

/* Writes up to len bytes with one system call once the fd is writable.
 * Returns the count, or -EPIPE, -ECONNRESET, -ETIMEDOUT, -ECANCELED, ...
 * Cancellation: safe; a write that returns -ECANCELED wrote nothing. */
ssize_t weft_io_write(weft_io *io, const void *buf, size_t len,
                      int64_t deadline);

/* Writes all len bytes, suspending while the fd is not writable. Returns 0
 * or a negative error; if sent is not NULL it receives the count written.
 * Cancellation: not safe as a whole: after -ECANCELED (or -ETIMEDOUT) the
 * first *sent bytes went out and the rest did not. */
int weft_io_write_all(weft_io *io, const void *buf, size_t len,
                      int64_t deadline, size_t *sent);

/* weft_io_write_all over iovcnt buffers (a vectored write: one system call
 * while the socket takes everything). iov is not modified. Returns 0 or a
 * negative error (-EINVAL for iovcnt < 0 or > IOV_MAX); *sent as above.
 * Cancellation: as weft_io_write_all. */
int weft_io_writev(weft_io *io, const struct iovec *iov, int iovcnt,
                   int64_t deadline, size_t *sent);

/* shutdown(2) on a socket: SHUT_WR sends end of stream to the peer (a
 * half-close) and reading goes on. Returns 0, -ENOTCONN, -ENOTSOCK, -EBADF.
 * Does not suspend. */
int weft_io_shutdown(weft_io *io, int how);

/* The socket's local address (getsockname), or its port alone: the way to
 * learn the port a listener bound to port 0 got. Return 0 (a port: the
 * port) or a negative error. Any thread. */
int weft_io_local_addr(const weft_io *io, struct sockaddr_storage *addr,
                       socklen_t *len);
int weft_io_local_port(const weft_io *io);

/* ---- addresses ------------------------------------------------------------
 */

/* Fills *addr and *len from a numeric IPv4 ("127.0.0.1") or IPv6 ("::1",
 * "[::1]") address and a port; NULL or "" means the IPv4 wildcard. Host
 * names are not resolved here (-EINVAL). Does not suspend. */
int weft_addr_parse(const char *host, uint16_t port,
                    struct sockaddr_storage *addr, socklen_t *len);

/* ---- TCP ----------------------------------------------------------------- */

/* weft_tcp_listen options. Zero-initialise, then set what you need. */
typedef struct weft_listen_opts {
  int backlog; /* 0 means SOMAXCONN */
  /* SO_REUSEPORT: several listeners on one port, and the kernel spreads the
   * connections among them. The pattern for one accept loop per worker: for
   * each worker i, spawn a task pinned to i (weft_spawn_opts.pinned) that
   * calls weft_tcp_listen with reuseport and then accepts in a loop; each
   * listener is homed on its worker, so are the connections it accepts,
   * and no two workers contend on one accept queue. */
  bool reuseport;
  bool v6only; /* IPV6_V6ONLY on an IPv6 listener */
} weft_listen_opts;

/* Binds a TCP listener to a numeric address and port (0: the kernel picks;
 * see weft_io_local_port) with SO_REUSEADDR, and listens. opts may be NULL.
 * Returns 0, or -EINVAL, -EADDRINUSE, -EACCES, -EMFILE, -EPERM (not in a
 * task), ... Does not suspend. */
int weft_tcp_listen(const char *host, uint16_t port,
                    const weft_listen_opts *opts, weft_io **out);

/* Accepts a connection on a listener (TCP or Unix), homed on the calling
 * worker. If peer is not NULL it receives the peer's address (peer_len, if
 * not NULL, its length). Suspends until a connection arrives.
 * Running out of fds (EMFILE, ENFILE, ENOBUFS, ENOMEM) does not fail the
 * call: it sleeps (1 ms, doubling to 100 ms) and tries again, so the task
 * keeps its place and the connections already open go on being served;
 * the pending connection waits in the kernel's backlog. Returns 0, or
 * -ETIMEDOUT (the deadline, during a back-off too), -ECANCELED, -EBADF,
 * -EINVAL (not a listener).
 * Cancellation: safe; no connection is taken by a call that returns
 * -ECANCELED. */
int weft_io_accept(weft_io *listener, weft_io **out,
                   struct sockaddr_storage *peer, socklen_t *peer_len,
                   int64_t deadline);

/* Connects to a numeric IPv4 or IPv6 address, or to a host name: resolved
 * with weft_getaddrinfo (weft/fs.h) within the same deadline, and its
 * addresses tried in the resolver's order until one connects. Suspends
 * until the connection is made or fails. Returns 0, -ECONNREFUSED (the
 * last address's error when none connected), -ENETUNREACH, -ETIMEDOUT (the
 * deadline, or the kernel's own connect timeout), -ECANCELED, -EMFILE,
 * -ENXIO (the name does not resolve), -EAGAIN (the resolver did not
 * answer), ...
 * Cancellation: safe; the half-made socket is closed and nothing leaks. */
int weft_tcp_connect(const char *host, uint16_t port, int64_t deadline,
                     weft_io **out);

/* ---- UDP ------------------------------------------------------------------
 */

/* A UDP socket bound to a numeric address and port (port 0: any). Does not
 * suspend. Returns 0, -EINVAL, -EADDRINUSE, -EPERM, ... */
int weft_udp_bind(const char *host, uint16_t port, weft_io **out);

/* Sends one datagram to addr. Returns the count sent, or -EMSGSIZE,
 * -ECONNREFUSED (an earlier datagram was refused), -ETIMEDOUT, -ECANCELED,
 * ... Suspends only while the socket's buffer is full.
 * Cancellation: safe; nothing was sent by a call that returns -ECANCELED. */
ssize_t weft_udp_send(weft_io *io, const void *buf, size_t len,
                      const struct sockaddr *addr, socklen_t addr_len,
                      int64_t deadline);

/* Receives one datagram (a longer one is cut to len bytes). from and
 * from_len may be NULL. Returns the count, or -ETIMEDOUT, -ECANCELED, ...
 * Suspends until a datagram is there.
 * Cancellation: safe; no datagram is consumed by a call that returns
 * -ECANCELED. */
ssize_t weft_udp_recv(weft_io *io, void *buf, size_t len,
                      struct sockaddr_storage *from, socklen_t *from_len,
                      int64_t deadline);

/* ---- Unix stream sockets and pipes --------------------------------------- */

/* Listens on a Unix stream socket at path (which must not exist; remove it
 * after closing). Accept with weft_io_accept. Returns 0, -ENAMETOOLONG,
 * -EADDRINUSE, -EPERM, ... Does not suspend. */
int weft_unix_listen(const char *path, int backlog, weft_io **out);

/* Connects to the Unix stream socket at path. Returns 0, -ENOENT,
 * -ECONNREFUSED, -ENAMETOOLONG, -ETIMEDOUT, -ECANCELED, ...
 * Cancellation: safe; the half-made socket is closed. */
int weft_unix_connect(const char *path, int64_t deadline, weft_io **out);

/* A pipe: ends[0] reads, ends[1] writes; read and write them with
 * weft_io_read / weft_io_write_all. Returns 0, -EMFILE, -EPERM, ... */
int weft_pipe(weft_io *ends[2]);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_IO_H */
