/* bench/micro/side_exec.h: the side-by-side bodies for lock, queue,
 * to_thread and process_pool (bench/micro/side_exec.c). */
#ifndef WEFT_BENCH_SIDE_EXEC_H
#define WEFT_BENCH_SIDE_EXEC_H

#include <stdint.h>

/* Runs workload `name` (lock, queue, to_thread, process_pool) with sizes a
 * and b on `workers` workers, after a warm-up run of a tenth of a; stores
 * the nanoseconds per operation. Returns 0, or 1 if name is none of them.
 * Exits with a message on any error. */
int side_exec_run(int workers, const char *name, uint64_t a, uint64_t b,
                  double *ns_per_op);

#endif /* WEFT_BENCH_SIDE_EXEC_H */
