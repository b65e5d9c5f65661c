/*
 * io/dns.c: getaddrinfo on the blocking pool's DNS lane (weft/fs.h).
 *
 * The look-up may outlive the call (a cancellation or the deadline returns
 * at once), so it works on its own heap copy of host, service and hints;
 * the release callback (rt/blocking.h) frees the copy and any answer
 * nobody took. EAI_* codes become negative errno codes, EAI_SYSTEM's errno
 * read on the pool thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt/blocking.h"
#include "weft/fs.h"

typedef struct lookup {
  char *host, *service;
  struct addrinfo hints;
  bool has_hints;
  int sys_errno;
} lookup;

static void lookup_free(lookup *l) {
  free(l->host);
  free(l->service);
  free(l);
}

static int to_errno(int eai, int sys) {
  switch (eai) {
  case 0:
    return 0;
  case EAI_NONAME:
#ifdef EAI_NODATA
  case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY:
#endif
    return -ENXIO;
  case EAI_AGAIN:
    return -EAGAIN;
  case EAI_FAIL:
    return -EIO;
  case EAI_MEMORY:
    return -ENOMEM;
  case EAI_SYSTEM:
    return sys ? -sys : -EIO;
  default: /* EAI_BADFLAGS, EAI_FAMILY, EAI_SERVICE, EAI_SOCKTYPE */
    return -EINVAL;
  }
}

static int lookup_fn(void *arg, void **result) {
  lookup *l = arg;
  struct addrinfo *res = NULL;
  int eai =
      getaddrinfo(l->host, l->service, l->has_hints ? &l->hints : NULL, &res);
  int err = to_errno(eai, eai == EAI_SYSTEM ? errno : 0);
  *result = err ? NULL : res;
  return err;
}

static void lookup_release(void *arg, void *result, int code) {
  (void)code;
  if (result)
    freeaddrinfo(result);
  lookup_free(arg);
}

int weft_getaddrinfo(const char *host, const char *service,
                     const struct addrinfo *hints, struct addrinfo **res,
                     int64_t deadline) {
  if (!res || (!host && !service))
    return -EINVAL;
  lookup *l = calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->host = host ? strdup(host) : NULL;
  l->service = service ? strdup(service) : NULL;
  if ((host && !l->host) || (service && !l->service)) {
    lookup_free(l);
    return -ENOMEM;
  }
  if (hints) { /* only the fields getaddrinfo reads from hints */
    l->hints.ai_flags = hints->ai_flags;
    l->hints.ai_family = hints->ai_family;
    l->hints.ai_socktype = hints->ai_socktype;
    l->hints.ai_protocol = hints->ai_protocol;
    l->has_hints = true;
  }
  void *r = NULL;
  int err = weft__blocking_run(WEFT__LANE_DNS, lookup_fn, l, &r, lookup_release,
                               false, deadline);
  if (err == -ECANCELED || err == -ETIMEDOUT)
    return err; /* l belongs to the release callback now */
  /* Finished here (or never submitted): nobody else holds l. */
  if (err && r)
    freeaddrinfo(r);
  lookup_free(l);
  if (!err)
    *res = r;
  return err;
}
