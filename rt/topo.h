/*
 * rt/topo.h: the machine's topology as the scheduler needs it (DESIGN 3):
 * how many processing units (PUs) the process may run on, pinning a worker's
 * thread to its PU, and the order in which a worker visits victims when it
 * steals. On hwloc; the hwloc types stay inside rt/topo.c. rt/topo.c says
 * how distance is defined and what happens when hwloc cannot help.
 *
 * Worker i runs on PU i mod pus (logical index order), so more workers than
 * PUs share PUs round-robin.
 *
 * Lifetime: open/close. Opening costs a few milliseconds (hwloc reads sysfs):
 * open once per runtime, before the workers start. Once open, a topology is
 * read-only: every other call is safe from any thread at once.
 *
 * Every int-returning call returns 0 (or a count) or a negative errno code.
 */
#ifndef WEFT_RT_TOPO_H
#define WEFT_RT_TOPO_H

#include <stdint.h>

typedef struct weft__topo weft__topo;

/* The most workers weft__topo_victims orders. */
#define WEFT_TOPO_MAX_WORKERS (1 << 20)

/* Loads this machine's topology restricted to the CPUs the calling thread
 * may run on (taskset, sched_setaffinity, the cgroup cpuset): the threads it
 * creates inherit that affinity. Open from a thread that is not pinned yet,
 * or the topology holds that one PU. -ENOMEM, or hwloc's error. */
int weft__topo_open(weft__topo **out);
/* The same from an hwloc synthetic description such as
 * "pack:2 l3:1 core:4 pu:2", for machines we do not have. Threads cannot be
 * bound to such a topology. -EINVAL for a bad description. */
int weft__topo_open_synthetic(weft__topo **out, const char *desc);
/* NULL is a no-op. No other call may be running on t. */
void weft__topo_close(weft__topo *t);

/* How many PUs are allowed (at least 1). */
int weft__topo_pus(const weft__topo *t);
/* The default worker count: one per allowed PU. */
int weft__topo_default_workers(const weft__topo *t);
/* The OS number of the CPU (as in sched_setaffinity) that worker runs on,
 * for reports and tests. -EINVAL if worker < 0. */
int weft__topo_cpu(const weft__topo *t, int worker);

/* Pins the calling thread to the PU of worker (PU worker mod pus). Fails
 * with -ENOSYS (no binding here, or a synthetic topology), -EPERM, -EINVAL,
 * -EXDEV or another hwloc error, leaving the thread's affinity as it was:
 * the caller then runs unpinned. Any thread, for itself. */
int weft__topo_bind_thread(const weft__topo *t, int worker);

/* Fills order[0 .. nworkers-2] with every worker index but worker, nearest
 * first: workers on the same PU, then those sharing a core, an L2, an L3 or
 * a package, then the rest. Within each group of equal distance the list
 * starts at a pseudo-random member chosen from seed and worker, and wraps.
 * Deterministic for the same arguments. -EINVAL unless
 * 0 <= worker < nworkers <= WEFT_TOPO_MAX_WORKERS. Any thread. */
int weft__topo_victims(const weft__topo *t, int worker, int nworkers,
                       uint32_t seed, int *order);

#endif /* WEFT_RT_TOPO_H */
