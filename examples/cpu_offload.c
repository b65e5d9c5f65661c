/*
 * examples/cpu_offload.c: a server that stays responsive while CPU-bound
 * jobs run in the process pool (weft/exec.h).
 *
 * One worker thread (one event loop, as asyncio has). A TCP server on
 * 127.0.0.1 answers each 8-byte request (a seed) with the 8-byte result of
 * a CPU-bound computation ("crunch", about work_ms milliseconds). Four
 * client tasks send the requests. Meanwhile a ticker task sleeps 1 ms at a
 * time and records how late each wake-up is: the loop's latency. Two
 * phases run the same jobs: first offloaded to the process pool, then
 * inline in the handler task (which holds the loop while it computes). The
 * pool has one worker process per CPU but one, left to the loop. Both
 * phases' p50 and p99 are printed; the results must agree.
 *
 *   cpu_offload [jobs per phase (default 40)] [work ms (default 20)]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft.h>

#include "args.h"

#define CLIENTS 4
#define MAX_SAMPLES 200000

static uint64_t iters_per_ms; /* calibrated before the runtime starts */
static long jobs, work_ms;

static uint64_t crunch(uint64_t seed, uint64_t iters) {
  uint64_t x = seed | 1;
  for (uint64_t i = 0; i < iters; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x += i;
  }
  return x;
}

/* The job: in = {seed, iterations}, out = the result. */
static int job_crunch(const void *in, size_t len, void **out, size_t *out_len) {
  if (len != 2 * sizeof(uint64_t))
    return -EINVAL;
  uint64_t a[2];
  memcpy(a, in, sizeof a);
  uint64_t *r = malloc(sizeof *r);
  if (!r)
    return -ENOMEM;
  *r = crunch(a[0], a[1]);
  *out = r;
  *out_len = sizeof *r;
  return 0;
}
WEFT_JOB(crunch, job_crunch)

static double ms_now(void) { return (double)weft_now_ns() / 1e6; }

static void calibrate(void) {
  uint64_t n = 1 << 16;
  for (;;) {
    double t0 = ms_now();
    volatile uint64_t sink = crunch(1, n);
    (void)sink;
    double dt = ms_now() - t0;
    if (dt > 50) {
      iters_per_ms = (uint64_t)((double)n / dt);
      return;
    }
    n *= 2;
  }
}

/* ---- one phase ---- */

typedef struct phase {
  bool offload;
  weft_io *listener;
  uint16_t port;
  bool stop;        /* the ticker's end (one worker: plain) */
  double *lateness; /* ms */
  size_t samples;
  uint64_t checksum; /* sum of every result */
} phase;

static int ticker(void *arg, void **result) {
  (void)result;
  phase *ph = arg;
  while (!ph->stop && ph->samples < MAX_SAMPLES) {
    int64_t t0 = weft_now_ns();
    if (weft_sleep_ms(1) != 0)
      break;
    ph->lateness[ph->samples++] = (double)(weft_now_ns() - t0 - 1000000) / 1e6;
  }
  return 0;
}

typedef struct conn {
  phase *ph;
  weft_io *io;
} conn;

static int handler(void *arg, void **result) {
  (void)result;
  conn *c = arg;
  uint64_t seed;
  int err = 0;
  while (weft_io_read_exactly(c->io, &seed, sizeof seed, WEFT_NO_DEADLINE,
                              NULL) == (ssize_t)sizeof seed) {
    uint64_t in[2] = {seed, iters_per_ms * (uint64_t)work_ms};
    uint64_t r;
    if (c->ph->offload) {
      void *out = NULL;
      size_t len = 0;
      err = weft_procpool_run("crunch", in, sizeof in, &out, &len,
                              WEFT_NO_DEADLINE);
      if (!err && len == sizeof r)
        memcpy(&r, out, sizeof r);
      else if (!err)
        err = -EBADMSG;
      free(out);
    } else {
      r = crunch(in[0], in[1]); /* holds the loop for work_ms */
    }
    if (err || weft_io_write_all(c->io, &r, sizeof r, WEFT_NO_DEADLINE, NULL))
      break;
  }
  weft_io_close(c->io);
  free(c);
  if (err)
    fprintf(stderr, "cpu_offload: job: %s\n", weft_strerror(err));
  return err;
}

static int acceptor(void *arg, void **result) {
  (void)result;
  phase *ph = arg;
  for (;;) {
    weft_io *io;
    if (weft_io_accept(ph->listener, &io, NULL, NULL, WEFT_NO_DEADLINE))
      return 0; /* cancelled at the phase's end */
    conn *c = malloc(sizeof *c);
    c->ph = ph;
    c->io = io;
    weft_task *t;
    if (weft_spawn(&t, handler, c) == 0)
      weft_detach(t);
  }
}

static int client(void *arg, void **result) {
  phase *ph = arg;
  weft_io *io;
  int err = weft_tcp_connect("127.0.0.1", ph->port, WEFT_NO_DEADLINE, &io);
  if (err)
    return err;
  uint64_t sum = 0;
  for (long i = 0; i < jobs / CLIENTS && !err; i++) {
    uint64_t seed = (uint64_t)i * 7919 + 1;
    uint64_t r = 0;
    err = weft_io_write_all(io, &seed, sizeof seed, WEFT_NO_DEADLINE, NULL);
    if (!err && weft_io_read_exactly(io, &r, sizeof r, WEFT_NO_DEADLINE,
                                     NULL) != (ssize_t)sizeof r)
      err = -EPIPE;
    sum += r;
  }
  weft_io_close(io);
  *result = (void *)(uintptr_t)sum;
  return err;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int run_phase(phase *ph) {
  int err = weft_tcp_listen("127.0.0.1", 0, NULL, &ph->listener);
  if (err)
    return err;
  ph->port = (uint16_t)weft_io_local_port(ph->listener);
  weft_task *tick;
  weft_task *acc;
  weft_task *cl[CLIENTS];
  weft_spawn(&tick, ticker, ph);
  weft_spawn(&acc, acceptor, ph);
  double t0 = ms_now();
  for (int i = 0; i < CLIENTS; i++)
    weft_spawn(&cl[i], client, ph);
  void *sums[CLIENTS];
  int st[CLIENTS];
  weft_gather(cl, CLIENTS, sums, st, WEFT_GATHER_ALL);
  double elapsed = ms_now() - t0;
  ph->stop = true;
  weft_await(tick, NULL);
  weft_cancel(acc);
  weft_await(acc, NULL);
  weft_detach(tick);
  weft_detach(acc);
  weft_io_close(ph->listener);
  for (int i = 0; i < CLIENTS; i++) {
    weft_detach(cl[i]);
    if (st[i])
      return st[i];
    ph->checksum += (uint64_t)(uintptr_t)sums[i];
  }
  qsort(ph->lateness, ph->samples, sizeof(double), cmp);
  size_t n = ph->samples ? ph->samples : 1;
  printf("%-9s %ld jobs of %ld ms in %.0f ms: loop latency p50 %.2f ms, "
         "p99 %.2f ms, max %.2f ms (%zu ticks)\n",
         ph->offload ? "offloaded" : "inline", jobs / CLIENTS * CLIENTS,
         work_ms, elapsed, ph->lateness[n / 2], ph->lateness[n * 99 / 100],
         ph->samples ? ph->lateness[ph->samples - 1] : 0.0, ph->samples);
  fflush(stdout);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  phase off = {.offload = true};
  phase in = {.offload = false};
  off.lateness = malloc(MAX_SAMPLES * sizeof(double));
  in.lateness = malloc(MAX_SAMPLES * sizeof(double));
  /* Start the pool first, so that its start-up is not measured. */
  uint64_t warm[2] = {1, 1};
  void *out = NULL;
  int err = weft_procpool_run("crunch", warm, sizeof warm, &out, NULL,
                              WEFT_NO_DEADLINE);
  free(out);
  if (!err)
    err = run_phase(&off);
  if (!err)
    err = run_phase(&in);
  if (!err && off.checksum != in.checksum) {
    fprintf(stderr, "cpu_offload: results differ between the phases\n");
    err = -EIO;
  }
  free(off.lateness);
  free(in.lateness);
  if (!err)
    printf("cpu_offload: ok (same results both ways)\n");
  return err;
}

int main(int argc, char **argv) {
  jobs = arg_num(argc, argv, 1, 40, CLIENTS, 100000);
  work_ms = arg_num(argc, argv, 2, 20, 1, 10000);
  calibrate();
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1; /* one loop, as asyncio: inline work blocks it */
  /* A CPU for the loop, the others for the pool's workers. */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  cfg.procpool_workers = cpus > 2 ? (int)cpus - 1 : 1;
  int err = weft_run(&cfg, main_task, NULL, NULL);
  if (err) {
    fprintf(stderr, "cpu_offload: %s\n", weft_strerror(err));
    return 1;
  }
  return 0;
}
