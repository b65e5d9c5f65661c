/* io/stream.h: listen and connect for any stream family (io/tcp.c), shared
 * by TCP and Unix sockets (internal). */
#ifndef WEFT_IO_STREAM_H
#define WEFT_IO_STREAM_H

#include <stdint.h>
#include <sys/socket.h>

#include "weft/io.h"

int weft__stream_listen(const struct sockaddr *a, socklen_t len,
                        const weft_listen_opts *opts, weft_io **out);
/* Connects; on any error (the deadline, a cancellation included) the
 * socket is closed. May switch. */
int weft__stream_connect(const struct sockaddr *a, socklen_t len,
                         int64_t deadline, weft_io **out);

#endif /* WEFT_IO_STREAM_H */
