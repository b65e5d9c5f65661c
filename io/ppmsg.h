/*
 * io/ppmsg.h: the process pool's messages (io/ppmsg.c), shared by the
 * parent (io/procpool.c) and the zygote and its workers (io/zygote.c).
 *
 * One SOCK_SEQPACKET message per request or reply: a header, then the
 * payload inline when it is at most WEFT__PP_INLINE bytes; a larger one is
 * written to a memfd sealed against any change (F_SEAL_WRITE, SHRINK,
 * GROW, SEAL) and the fd travels with the header in SCM_RIGHTS. The
 * receiver checks the seals and the size before it reads, so the sender
 * cannot change the bytes under it.
 */
#ifndef WEFT_IO_PPMSG_H
#define WEFT_IO_PPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WEFT__PP_INLINE ((size_t)32 * 1024)
#define WEFT__PP_NAME 64
#define WEFT__PP_MAGIC 0x77656674u /* "weft" */

typedef struct weft__pp_hdr {
  uint32_t magic;
  int32_t code;             /* reply: the job's code; zygote: the pid */
  uint64_t len;             /* payload bytes */
  uint32_t in_fd;           /* the payload is in the passed memfd */
  char name[WEFT__PP_NAME]; /* request: the job's name */
} weft__pp_hdr;

/* Sends h and len bytes of payload (h->len and h->in_fd are set here),
 * plus pass_fd (>= 0) if no memfd is needed (the zygote's spawn request).
 * Returns 0, -EAGAIN (a non-blocking socket is full: nothing was sent), or
 * -errno (-EPIPE, -ECONNRESET: the peer is gone). */
int weft__pp_send(int sock, weft__pp_hdr *h, const void *payload, size_t len,
                  int pass_fd);

/* Receives one message: the header into *h, the payload into a malloc'd
 * *payload (NULL when empty), an fd passed without payload into *got_fd
 * (if not NULL; -1 if none). With wait, blocks until a message comes (the
 * pool's child processes: one syscall, not a poll and a read); else
 * returns -EAGAIN when none is there. Returns 1, 0 (the peer closed),
 * -EAGAIN, or -errno (-EBADMSG: not a well-formed message). */
int weft__pp_recv(int sock, weft__pp_hdr *h, void **payload, int *got_fd,
                  bool wait);

#endif /* WEFT_IO_PPMSG_H */
