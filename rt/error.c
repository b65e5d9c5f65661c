/* rt/error.c: weft_strerror and the panic used by WEFT_ASSERT. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/common.h"
#include "weft/rt.h"

const char *weft_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
  case -ECANCELED:
    return "cancelled";
  case -ETIMEDOUT:
    return "timed out";
  case -EPERM:
    return "not called from a weft task";
  case -EDEADLK:
    return "would wait on itself";
  case -ESHUTDOWN:
    return "the runtime is shutting down";
  case -EALREADY:
    return "already finished";
  case -EINPROGRESS:
    return "not finished";
  default:
    break;
  }
  if (err < 0)
    return strerror(-err);
  return "not a weft error code";
}

void weft__panic(const char *file, int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  /* clang-tidy 14's analyzer does not see va_start through the compile
   * commands of a gcc build (a false positive). */
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "weft: fatal: %s:%d: %s\n", file, line, msg);
  abort();
}
