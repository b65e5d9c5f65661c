/* examples/args.h: a number from the command line, checked. */
#ifndef WEFT_EXAMPLES_ARGS_H
#define WEFT_EXAMPLES_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* argv[i] as a number in [lo, hi], or dflt when there is no argv[i]; exits
 * with a message on anything else. */
static long arg_num(int argc, char **argv, int i, long dflt, long lo, long hi) {
  if (i >= argc)
    return dflt;
  char *end = NULL;
  errno = 0;
  long v = strtol(argv[i], &end, 10);
  if (errno || end == argv[i] || *end || v < lo || v > hi) {
    fprintf(stderr, "%s: argument %d (%s) must be a number from %ld to %ld\n",
            argv[0], i, argv[i], lo, hi);
    exit(2);
  }
  return v;
}

#endif /* WEFT_EXAMPLES_ARGS_H */
