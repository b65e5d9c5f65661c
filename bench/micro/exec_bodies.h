/* bench/micro/exec_bodies.h: the executors' benchmark bodies (exec.c). */
#ifndef WEFT_BENCH_EXEC_BODIES_H
#define WEFT_BENCH_EXEC_BODIES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each returns the wall time in ns of iters round trips. */
uint64_t bench_to_thread(uint64_t iters);
uint64_t bench_procpool(uint64_t iters, size_t size);

#ifdef __cplusplus
}
#endif

#endif
