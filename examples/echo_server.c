/*
 * echo_server: sends back whatever each connection sends, on every core.
 *
 *   echo_server [PORT [HOST]]     defaults: 7000, 127.0.0.1 (0: any port)
 *
 * One accept loop per worker (examples/serve.h), one task per connection:
 * read what is there, write all of it back, until the client ends its side.
 * WEFT_WORKERS=N in the environment sets the number of workers (default:
 * one per core).
 */
#include <weft.h>

#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "serve.h"

static int echo_conn(void *arg, void **result) {
  (void)result;
  weft_io *c = arg;
  char buf[16384];
  ssize_t n;
  while ((n = weft_io_read(c, buf, sizeof buf, WEFT_NO_DEADLINE)) > 0)
    if (weft_io_write_all(c, buf, (size_t)n, WEFT_NO_DEADLINE, NULL) != 0)
      break;
  weft_io_close(c);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)result;
  return serve(arg);
}

int main(int argc, char **argv) {
  serve_cfg cfg = {.host = argc > 2 ? argv[2] : "127.0.0.1",
                   .port = (uint16_t)arg_num(argc, argv, 1, 7000, 0, 65535),
                   .on_conn = echo_conn};
  int err = weft_run(NULL, main_task, &cfg, NULL);
  if (err && err != -ECANCELED) {
    fprintf(stderr, "echo_server: %s\n", weft_strerror(err));
    return 1;
  }
  return 0;
}
