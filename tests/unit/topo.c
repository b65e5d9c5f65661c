/* rt/topo: victim orders on synthetic machines we do not have (2 packages
 * with hyperthreads, 4 packages of 16 cores), oversubscription, bad
 * arguments; on this machine the PU count against sched_getaffinity, pinning
 * from several threads at once, a child restricted to one CPU, and a child
 * not allowed to pin. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rt/topo.h"

enum { MAXW = 160 };

/* How close two PUs are by construction of the synthetic description,
 * bigger is closer. Independent of hwloc. */
typedef int (*closeness_fn)(int pa, int pb);

/* "pack:2 l3:1 core:8 pu:2": 2 PUs per core, 16 per package (one L3). */
static int close_smt(int pa, int pb) {
  if (pa == pb)
    return 3;
  if (pa / 2 == pb / 2)
    return 2;
  return pa / 16 == pb / 16 ? 1 : 0;
}

/* "pack:4 core:16 pu:1". */
static int close_flat(int pa, int pb) {
  if (pa == pb)
    return 2;
  return pa / 16 == pb / 16 ? 1 : 0;
}

/* Checks one victim list: every other worker once, nearest first, and each
 * group of equal closeness in ascending order rotated once. */
static void check_order(const int *order, int w, int nworkers, int pus,
                        closeness_fn close) {
  static char seen[MAXW];
  memset(seen, 0, sizeof seen);
  for (int i = 0; i < nworkers - 1; i++) {
    int v = order[i];
    CHECK(v >= 0 && v < nworkers && v != w);
    CHECK_EQ(seen[v], 0);
    seen[v] = 1;
  }
  for (int i = 0; i < nworkers - 1;) {
    int c = close(w % pus, order[i] % pus);
    int j = i + 1;
    while (j < nworkers - 1 && close(w % pus, order[j] % pus) == c)
      j++;
    if (j < nworkers - 1) /* the next group is farther */
      CHECK(close(w % pus, order[j] % pus) < c);
    int descents = 0;
    for (int k = i; k < j; k++)
      descents += order[k] > order[k + 1 < j ? k + 1 : i];
    CHECK_EQ(descents, j - i > 1 ? 1 : 0);
    i = j;
  }
}

static void check_all(weft__topo *t, int nworkers, closeness_fn close) {
  int pus = weft__topo_pus(t);
  int order[MAXW];
  for (int w = 0; w < nworkers; w++)
    for (uint32_t seed = 0; seed < 5; seed++) {
      CHECK_EQ(weft__topo_victims(t, w, nworkers, seed * 2654435761u, order),
               0);
      check_order(order, w, nworkers, pus, close);
    }
}

static void test_smt_two_packages(void) {
  weft__topo *t = NULL;
  CHECK_EQ(weft__topo_open_synthetic(&t, "pack:2 l3:1 core:8 pu:2"), 0);
  CHECK_EQ(weft__topo_pus(t), 32);
  CHECK_EQ(weft__topo_default_workers(t), 32);
  CHECK_EQ(weft__topo_cpu(t, 5), 5);
  CHECK_EQ(weft__topo_cpu(t, 37), 5);

  /* Worker 0: its hyperthread, then its package, then the other one. */
  int order[MAXW];
  CHECK_EQ(weft__topo_victims(t, 0, 32, 12345, order), 0);
  CHECK_EQ(order[0], 1);
  for (int i = 1; i < 15; i++)
    CHECK(order[i] >= 2 && order[i] < 16);
  for (int i = 15; i < 31; i++)
    CHECK(order[i] >= 16 && order[i] < 32);
  check_all(t, 32, close_smt);
  check_all(t, 7, close_smt); /* fewer workers than PUs */

  /* The same arguments give the same list; seeds move the starts. */
  int again[MAXW];
  CHECK_EQ(weft__topo_victims(t, 0, 32, 12345, again), 0);
  CHECK(memcmp(order, again, 31 * sizeof *order) == 0);
  char starts_pkg[32] = {0};
  char starts_far[32] = {0};
  int n_pkg = 0;
  int n_far = 0;
  for (uint32_t seed = 0; seed < 200; seed++) {
    CHECK_EQ(weft__topo_victims(t, 0, 32, seed, order), 0);
    n_pkg += !starts_pkg[order[1]];
    starts_pkg[order[1]] = 1;
    n_far += !starts_far[order[15]];
    starts_far[order[15]] = 1;
  }
  fprintf(stderr,
          "   200 seeds: %d of 14 starts in the package, %d of 16 "
          "beyond\n",
          n_pkg, n_far);
  CHECK(n_pkg >= 10 && n_far >= 10);

  /* Oversubscribed: 80 workers on 32 PUs. Worker 0 shares PU 0 with 32 and
   * 64, then PU 1's three workers come next. */
  CHECK_EQ(weft__topo_victims(t, 0, 80, 99, order), 0);
  CHECK((order[0] == 32 && order[1] == 64) ||
        (order[0] == 64 && order[1] == 32));
  for (int i = 2; i < 5; i++)
    CHECK_EQ(order[i] % 32, 1);
  check_all(t, 80, close_smt);

  /* Bad arguments; one worker has no victims. */
  order[0] = -7;
  CHECK_EQ(weft__topo_victims(t, 0, 1, 1, order), 0);
  CHECK_EQ(order[0], -7);
  CHECK_EQ(weft__topo_victims(t, 0, 1, 1, NULL), 0);
  CHECK_EQ(weft__topo_victims(t, 1, 1, 1, order), -EINVAL);
  CHECK_EQ(weft__topo_victims(t, -1, 4, 1, order), -EINVAL);
  CHECK_EQ(weft__topo_victims(t, 0, 0, 1, order), -EINVAL);
  CHECK_EQ(weft__topo_victims(t, 0, WEFT_TOPO_MAX_WORKERS + 1, 1, order),
           -EINVAL);
  CHECK_EQ(weft__topo_cpu(t, -1), -EINVAL);
  /* Not this machine: nothing to pin to. */
  CHECK_EQ(weft__topo_bind_thread(t, 0), -ENOSYS);
  CHECK_EQ(weft__topo_bind_thread(t, -1), -EINVAL);
  weft__topo_close(t);
}

static void test_four_packages(void) {
  weft__topo *t = NULL;
  CHECK_EQ(weft__topo_open_synthetic(&t, "pack:4 core:16 pu:1"), 0);
  CHECK_EQ(weft__topo_pus(t), 64);
  int order[MAXW];
  CHECK_EQ(weft__topo_victims(t, 17, 64, 3, order), 0);
  for (int i = 0; i < 15; i++)
    CHECK(order[i] >= 16 && order[i] < 32);
  check_all(t, 64, close_flat);
  check_all(t, 150, close_flat);

  /* Workers given the same seed start their far group at different
   * victims. */
  char starts[64] = {0};
  int n = 0;
  for (int w = 0; w < 16; w++) {
    CHECK_EQ(weft__topo_victims(t, w, 64, 42, order), 0);
    n += !starts[order[15]];
    starts[order[15]] = 1;
  }
  CHECK(n >= 6);
  weft__topo_close(t);

  CHECK(weft__topo_open_synthetic(&t, "pack:2 bogus:3") < 0);
  CHECK_EQ(weft__topo_open_synthetic(&t, NULL), -EINVAL);
  weft__topo_close(NULL);
}

typedef struct {
  weft__topo *t;
  int worker;
  int rc;
  int ncpus;   /* the affinity after binding */
  int cpu_ok;  /* the PU's CPU is in it */
  int victims; /* weft__topo_victims result */
} bind_arg;

static void *bind_main(void *p) {
  bind_arg *a = p;
  a->rc = weft__topo_bind_thread(a->t, a->worker);
  cpu_set_t s;
  CPU_ZERO(&s);
  CHECK_EQ(sched_getaffinity(0, sizeof s, &s), 0);
  a->ncpus = CPU_COUNT(&s);
  a->cpu_ok = CPU_ISSET(weft__topo_cpu(a->t, a->worker), &s);
  int order[MAXW];
  int nworkers = 2 * weft__topo_pus(a->t) + 1;
  a->victims = nworkers <= MAXW
                   ? weft__topo_victims(a->t, a->worker, nworkers, 7, order)
                   : 0;
  return NULL;
}

static void test_real(void) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  CHECK_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);

  struct timespec a;
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  weft__topo *t = NULL;
  CHECK_EQ(weft__topo_open(&t), 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  int pus = weft__topo_pus(t);
  fprintf(stderr, "   this machine: %d PUs (affinity %d), open took %.2f ms\n",
          pus, CPU_COUNT(&allowed),
          (double)(b.tv_sec - a.tv_sec) * 1e3 +
              (double)(b.tv_nsec - a.tv_nsec) / 1e6);
  CHECK_EQ(pus, CPU_COUNT(&allowed));
  CHECK_EQ(weft__topo_default_workers(t), pus);
  for (int w = 0; w < 2 * pus; w++) {
    int cpu = weft__topo_cpu(t, w);
    CHECK(cpu >= 0 && CPU_ISSET(cpu, &allowed));
    if (w >= pus)
      CHECK_EQ(cpu, weft__topo_cpu(t, w - pus));
  }

  /* Pin from 2 * pus threads at once (PUs shared round-robin). */
  enum { MAXT = 64 };
  int nt = 2 * pus < MAXT ? 2 * pus : MAXT;
  pthread_t th[MAXT];
  bind_arg args[MAXT];
  for (int i = 0; i < nt; i++) {
    args[i] = (bind_arg){.t = t, .worker = i};
    CHECK_EQ(pthread_create(&th[i], NULL, bind_main, &args[i]), 0);
  }
  for (int i = 0; i < nt; i++) {
    CHECK_EQ(pthread_join(th[i], NULL), 0);
    CHECK_EQ(args[i].victims, 0);
    if (args[i].rc == 0) {
      CHECK_EQ(args[i].ncpus, 1);
      CHECK(args[i].cpu_ok);
    } else {
      /* Could not pin: a clear code, and the thread's affinity as before. */
      fprintf(stderr, "   bind_thread(%d): %s\n", i, strerror(-args[i].rc));
      CHECK(args[i].rc < 0);
      CHECK_EQ(args[i].ncpus, CPU_COUNT(&allowed));
    }
  }
  fprintf(stderr, "   bind_thread(0): %s\n",
          args[0].rc ? strerror(-args[0].rc) : "pinned");
  weft__topo_close(t);

  /* The main thread was never pinned: a fresh open sees every PU again. */
  CHECK_EQ(weft__topo_open(&t), 0);
  CHECK_EQ(weft__topo_pus(t), pus);
  weft__topo_close(t);
}

static void *wait_for_pipe(void *p) {
  char c;
  CHECK_EQ(read(*(int *)p, &c, 1), 1);
  return NULL;
}

/* As under `taskset -c C`: a child restricted to the first allowed CPU,
 * while another of its threads may still run anywhere. */
static void test_one_cpu_child(void) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  CHECK_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int c = 0;
  while (!CPU_ISSET(c, &allowed))
    c++;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pthread_t other;
    CHECK_EQ(pthread_create(&other, NULL, wait_for_pipe, &fds[0]), 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    weft__topo *t = NULL;
    CHECK_EQ(weft__topo_open(&t), 0);
    CHECK_EQ(weft__topo_pus(t), 1);
    CHECK_EQ(weft__topo_cpu(t, 0), c);
    CHECK_EQ(weft__topo_cpu(t, 5), c);
    int rc = weft__topo_bind_thread(t, 3);
    CHECK(rc == 0 || rc < 0);
    cpu_set_t now;
    CPU_ZERO(&now);
    CHECK_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    CHECK_EQ(CPU_COUNT(&now), 1);
    CHECK(CPU_ISSET(c, &now));
    /* Four workers on one PU: all equally close. */
    int order[3];
    CHECK_EQ(weft__topo_victims(t, 2, 4, 5, order), 0);
    check_order(order, 2, 4, 1, close_flat);
    weft__topo_close(t);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(pthread_join(other, NULL), 0);
    exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
}

/* Pinning forbidden (seccomp makes sched_setaffinity fail with EPERM, as in
 * some containers): a clear code and the affinity untouched. */
static void test_bind_denied(void) {
  weft__topo *t = NULL;
  CHECK_EQ(weft__topo_open(&t), 0);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sched_setaffinity, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
      fprintf(stderr, "   no seccomp here: skipped\n");
      exit(0);
    }
    cpu_set_t before;
    cpu_set_t after;
    CPU_ZERO(&before);
    CPU_ZERO(&after);
    CHECK_EQ(sched_getaffinity(0, sizeof before, &before), 0);
    int rc = weft__topo_bind_thread(t, 0);
    fprintf(stderr, "   bind_thread under seccomp: %s\n", strerror(-rc));
    CHECK_EQ(rc, -EPERM);
    CHECK_EQ(sched_getaffinity(0, sizeof after, &after), 0);
    CHECK(CPU_EQUAL(&before, &after));
    exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  weft__topo_close(t);
}

int main(void) {
  fprintf(stderr, "-- synthetic: pack:2 l3:1 core:8 pu:2\n");
  test_smt_two_packages();
  fprintf(stderr, "-- synthetic: pack:4 core:16 pu:1\n");
  test_four_packages();
  fprintf(stderr, "-- this machine\n");
  test_real();
  fprintf(stderr, "-- a child on one CPU\n");
  test_one_cpu_child();
  fprintf(stderr, "-- pinning forbidden\n");
  test_bind_denied();
  return 0;
}
