/*
 * rt/topo.c: the machine's topology for the scheduler, on hwloc (DESIGN 3).
 *
 * What it does. weft__topo_open loads hwloc's view of this machine and
 * restricts it to the PUs the calling thread may run on: hwloc already
 * leaves out what the cgroup cpuset forbids, and the restriction leaves out
 * what the thread's affinity excludes (taskset, sched_setaffinity). Threads
 * the caller creates inherit that affinity, so it is what the workers may
 * use. hwloc's RESTRICT_TO_CPUBINDING flag was rejected: on Linux it takes
 * the union of all the process's threads, so any other thread (a user's,
 * TSan's background thread) widens the set. DONT_CHANGE_BINDING keeps
 * discovery from moving the calling thread. The PUs are recorded in logical
 * index order, which hwloc numbers depth-first through the tree, so PUs that
 * share a core, a cache or a package are neighbours. Worker i uses PU
 * i mod pus.
 *
 * Distance. Two PUs are as close as their deepest common ancestor in hwloc's
 * tree is deep (Machine at depth 0, then Package, Die, L3, L2, L1, Core, PU,
 * whichever this machine has): hyperthreads meet at their Core, two cores of
 * one L3 at that L3, two sockets only at the Machine. Two workers on one PU
 * have the PU itself as ancestor, the deepest of all. hwloc 2 keeps each
 * object type but Group at a single depth and every PU at the same depth, so
 * depths compare across branches. Using depth rather than a ladder of types
 * (core, L2, L3, package) follows whatever levels a machine has: an L3 per
 * 8-core CCX, dies, sub-NUMA groups. hwloc's distance matrices were rejected:
 * they describe NUMA nodes only and are often missing.
 *
 * Victim order (weft__topo_victims):
 *   1. Each other worker v gets as key the depth of the common ancestor of
 *      its PU and the thief's PU; order[] holds key << KEY_SHIFT | v.
 *   2. Sort by key, deepest first, then by worker index.
 *   3. Rotate each run of equal keys left by a hash of (seed, worker, key),
 *      so thieves of one group start at different victims.
 *   4. Strip the keys.
 * O(n log n) for n workers, no allocation; meant to run once per worker.
 *
 * Fallbacks.
 *   1. If the thread's affinity cannot be read or does not meet the
 *      topology, it is not restricted: the PUs are what the cgroup allows.
 *   2. If hwloc cannot load the topology, open returns its error; the caller
 *      picks a worker count itself and does not pin.
 *   3. If binding fails (no support, seccomp, a container that forbids it, a
 *      PU taken away since open), bind_thread returns the error with the
 *      thread's affinity untouched; the caller runs that worker unpinned.
 *   4. A synthetic topology is not this machine: bind_thread returns
 *      -ENOSYS (hwloc itself would return 0 and bind nothing).
 *
 * Threads. hwloc keeps all state in the topology without locks; concurrent
 * reads of a loaded topology are safe. Nothing here writes after open, so all
 * calls but open and close may run on any threads at once.
 */
#include "rt/topo.h"

#include <errno.h>
#include <hwloc.h>
#include <stdlib.h>

#include "rt/alloc.h"
#include "rt/common.h"

struct weft__topo {
  hwloc_topology_t topo; /* loaded; read-only after open */
  int pus;               /* PUs in topo, at least 1 */
};

/* order[] entries hold key << KEY_SHIFT | worker while they are sorted. */
enum { KEY_SHIFT = 20, MAX_KEY = 1 << (31 - KEY_SHIFT) };
#define WORKER_MASK ((1 << KEY_SHIFT) - 1)
_Static_assert(WEFT_TOPO_MAX_WORKERS == 1 << KEY_SHIFT,
               "a worker index must fit below the key");

/* hwloc reports failure as -1 and errno; read it at once. */
static int neg_errno(void) {
  int e = errno;
  return e > 0 ? -e : -EINVAL;
}

/* The PU of worker: hwloc keeps each level as an array, so this is O(1). */
static hwloc_obj_t pu_of(const weft__topo *t, int worker) {
  return hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU,
                               (unsigned)(worker % t->pus));
}

/* Counts the PUs of topo, loaded. Owns topo: destroys it on failure, hands
 * it to *out on success. */
static int finish_open(hwloc_topology_t topo, weft__topo **out) {
  int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  weft__topo *t = n > 0 ? weft__alloc(sizeof *t) : NULL;
  if (!t) {
    hwloc_topology_destroy(topo);
    return n > 0 ? -ENOMEM : -ENODEV;
  }
  t->topo = topo;
  t->pus = n;
  for (int i = 0; i < n; i++) {
    hwloc_obj_t pu = pu_of(t, i);
    WEFT_ASSERT(pu && pu->depth >= 0 && pu->depth < MAX_KEY);
  }
  *out = t;
  return 0;
}

/* Keeps only the PUs of the calling thread's affinity (fallback 1). */
static int restrict_to_thread(hwloc_topology_t topo) {
  int err = 0;
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  if (!set)
    return -ENOMEM;
  if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0 ||
      !hwloc_bitmap_intersects(set, hwloc_topology_get_topology_cpuset(topo)))
    goto out;
  /* EINVAL leaves the topology as it was; ENOMEM empties it. */
  if (hwloc_topology_restrict(topo, set, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS) <
      0) {
    err = neg_errno();
    if (err == -EINVAL)
      err = 0;
  }
out:
  hwloc_bitmap_free(set);
  return err;
}

int weft__topo_open(weft__topo **out) {
  hwloc_topology_t topo = NULL;
  if (hwloc_topology_init(&topo) < 0)
    return neg_errno();
  int err = 0;
  unsigned long flags = HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM |
                        HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING;
  if (hwloc_topology_set_flags(topo, flags) < 0 ||
      hwloc_topology_load(topo) < 0) {
    err = neg_errno();
    goto fail;
  }
  err = restrict_to_thread(topo);
  if (err)
    goto fail;
  return finish_open(topo, out);

fail:
  hwloc_topology_destroy(topo);
  return err;
}

int weft__topo_open_synthetic(weft__topo **out, const char *desc) {
  if (!desc)
    return -EINVAL;
  hwloc_topology_t topo = NULL;
  if (hwloc_topology_init(&topo) < 0)
    return neg_errno();
  if (hwloc_topology_set_synthetic(topo, desc) < 0 ||
      hwloc_topology_load(topo) < 0) {
    int err = neg_errno();
    hwloc_topology_destroy(topo);
    return err;
  }
  return finish_open(topo, out);
}

void weft__topo_close(weft__topo *t) {
  if (!t)
    return;
  hwloc_topology_destroy(t->topo);
  weft__free(t, sizeof *t);
}

int weft__topo_pus(const weft__topo *t) { return t->pus; }

int weft__topo_default_workers(const weft__topo *t) { return t->pus; }

int weft__topo_cpu(const weft__topo *t, int worker) {
  if (worker < 0)
    return -EINVAL;
  return (int)pu_of(t, worker)->os_index;
}

int weft__topo_bind_thread(const weft__topo *t, int worker) {
  if (worker < 0)
    return -EINVAL;
  if (!hwloc_topology_is_thissystem(t->topo))
    return -ENOSYS; /* fallback 4 */
  const struct hwloc_topology_support *sup =
      hwloc_topology_get_support(t->topo);
  if (!sup->cpubind->set_thisthread_cpubind)
    return -ENOSYS;
  /* One sched_setaffinity on this thread: all or nothing (fallback 3). */
  if (hwloc_set_cpubind(t->topo, pu_of(t, worker)->cpuset,
                        HWLOC_CPUBIND_THREAD) < 0)
    return neg_errno();
  return 0;
}

/* Deepest key first, then the lower worker index. */
static int by_key_then_worker(const void *a, const void *b) {
  int x = *(const int *)a;
  int y = *(const int *)b;
  if (x >> KEY_SHIFT != y >> KEY_SHIFT)
    return x >> KEY_SHIFT > y >> KEY_SHIFT ? -1 : 1;
  return (x & WORKER_MASK) - (y & WORKER_MASK);
}

/* murmur3's 32-bit finaliser: a bijection that spreads small inputs. */
static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static void reverse(int *a, int n) {
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    int x = a[i];
    a[i] = a[j];
    a[j] = x;
  }
}

int weft__topo_victims(const weft__topo *t, int worker, int nworkers,
                       uint32_t seed, int *order) {
  if (nworkers <= 0 || nworkers > WEFT_TOPO_MAX_WORKERS || worker < 0 ||
      worker >= nworkers)
    return -EINVAL;
  int n = nworkers - 1;
  if (n == 0)
    return 0;
  /* Step 1: keys. */
  hwloc_obj_t self = pu_of(t, worker);
  int k = 0;
  for (int v = 0; v < nworkers; v++) {
    if (v == worker)
      continue;
    hwloc_obj_t common =
        hwloc_get_common_ancestor_obj(t->topo, self, pu_of(t, v));
    WEFT_ASSERT(common && common->depth >= 0 && common->depth < MAX_KEY);
    order[k++] = (int)((unsigned)common->depth << KEY_SHIFT) | v;
  }
  /* Step 2: nearest first. */
  qsort(order, (size_t)n, sizeof *order, by_key_then_worker);
  /* Step 3: a seeded start within each group, as a rotation by three
   * reversals. worker << 11 | key is unique (key < MAX_KEY = 2^11). */
  for (int i = 0; i < n;) {
    int key = order[i] >> KEY_SHIFT;
    int j = i + 1;
    while (j < n && order[j] >> KEY_SHIFT == key)
      j++;
    uint32_t h = mix(seed ^ mix((uint32_t)worker << 11 | (uint32_t)key));
    int r = (int)(h % (uint32_t)(j - i));
    reverse(order + i, r);
    reverse(order + i + r, j - i - r);
    reverse(order + i, j - i);
    i = j;
  }
  /* Step 4. */
  for (int i = 0; i < n; i++)
    order[i] &= WORKER_MASK;
  return 0;
}
