/* Stress for the per-worker ring (rt/ring.c): one owner thread pushes and
 * pops its ring, overflowing half of it at a time to a mutex-protected list
 * that it drains back later, against 3 stealer threads that each own a ring,
 * steal into it (mostly from the owner, sometimes from one another, so a
 * ring is stolen from while its owner steals into it) and pop what they
 * stole. Every item is a fake task tagged with a magic value and a counter:
 * each must be taken exactly once. Threads start on a barrier and take
 * small random pauses; the indices start just below 2^32 so they wrap.
 * Bounded: gives up with a failure after 60 s.
 *
 * Built twice: test_ring_stress against the library's ring, and
 * test_ring_stress4 with -DWEFT_RING_CAPACITY=4 and its own copy of
 * rt/ring.c compiled in (see tests/unit/CMakeLists.txt), where every push
 * path, overflow and steal collision runs all the time. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt/atomic.h"
#include "rt/ring.h"
#include "rt/task.h" /* only for _Alignof(weft_task) */

#if defined(__SANITIZE_THREAD__)
enum { N_ITEMS = 2000000 };
#else
enum { N_ITEMS = 10000000 };
#endif
enum { STEALERS = 3, THREADS = 1 + STEALERS };
#define ITEM_MAGIC 0x6974656du /* "item" */
#define TIME_LIMIT_S 60.0

/* A fake task: the ring stores the pointer and never dereferences it. */
typedef struct item {
  _Alignas(_Alignof(weft_task)) uint32_t magic;
  uint32_t taken; /* atomic: ck_pr_faa by whoever takes it */
} item;

static item *items;
static weft__ring rings[THREADS]; /* 0: the owner's; 1..3: the stealers' */
static uint32_t consumed;         /* atomic: items taken, flushed in batches */
static uint32_t stop;             /* atomic: 1 timeout, 2 failure */
static pthread_barrier_t start_line;
static double t_start;

/* The overflow list (the inject queue's stand-in), LIFO: order is not what
 * this test checks. */
static pthread_mutex_t ov_lock = PTHREAD_MUTEX_INITIALIZER;
static weft_task **ov;
static size_t ov_len; /* under ov_lock */

typedef struct stats {
  uint64_t taken, pushes, push_full, overflows, half_zero, ov_single;
  uint64_t steals, stolen, steal_empty, pops;
} stats;
static stats st[THREADS];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (uint32_t)(*s >> 32);
}

static weft_task *as_task(item *it) { return (weft_task *)(void *)it; }

/* Takes one item: checks its tag and that nobody took it before. */
static void take(weft_task *t, uint32_t *local) {
  item *it = (item *)(void *)t;
  CHECK(it >= items && it < items + N_ITEMS);
  CHECK_EQ(it->magic, ITEM_MAGIC); /* written before the barrier */
  /* Any order: the counter only counts. */
  uint32_t before = ck_pr_faa_32(&it->taken, 1);
  if (before != 0) {
    fprintf(stderr, "item %td taken twice\n", it - items);
    exit(1);
  }
  if (++*local == 256) {
    /* Any order: termination only needs the count. */
    ck_pr_faa_32(&consumed, *local);
    *local = 0;
  }
}

static void flush(uint32_t *local) {
  if (*local) {
    ck_pr_faa_32(&consumed, *local);
    *local = 0;
  }
}

/* True when every item is taken or the test is giving up. */
static bool finished(unsigned iter) {
  if (weft__load_relaxed(&stop))
    return true;
  if (weft__load_relaxed(&consumed) == N_ITEMS)
    return true;
  if (iter % 512 == 0 && now_s() - t_start > TIME_LIMIT_S) {
    ck_pr_cas_32(&stop, 0, 1);
    return true;
  }
  return false;
}

static void pause_randomly(uint64_t *seed) {
  uint32_t r = rnd(seed);
  if (r % 64 == 0) {
    for (uint32_t i = (r >> 8) % 256; i > 0; i--)
      ck_pr_stall();
  } else if (r % 8192 == 1) {
    sched_yield();
  }
}

static void ov_append(weft_task **t, uint32_t n) {
  pthread_mutex_lock(&ov_lock);
  memcpy(ov + ov_len, t, n * sizeof *t);
  ov_len += n;
  pthread_mutex_unlock(&ov_lock);
}

/* The owner's push, with a worker's overflow path. */
static void owner_push(weft__ring *r, weft_task *t, uint64_t *seed, stats *s) {
  weft_task *half[WEFT_RING_CAPACITY / 2 + 1]; /* main checks the size */
  s->pushes++;
  for (;;) {
    if (weft__ring_push(r, t))
      return;
    s->push_full++;
    uint32_t n = weft__ring_take_half(r, half);
    if (n > 0) {
      s->overflows++;
      if (rnd(seed) & 1) { /* Tokio: the task goes along with the half */
        half[n++] = t;
        ov_append(half, n);
        return;
      }
      ov_append(half, n); /* or: push it again, there is room now */
      continue;
    }
    s->half_zero++; /* a stealer is mid-steal */
    if (rnd(seed) & 1) {
      s->ov_single++;
      ov_append(&t, 1);
      return;
    }
    ck_pr_stall(); /* or retry until the steal ends */
  }
}

static void *owner(void *arg) {
  (void)arg;
  weft__ring *r = &rings[0];
  stats *s = &st[0];
  uint64_t seed = 0x853c49e6748fea9bull;
  uint32_t next = 0;
  uint32_t local = 0;
  unsigned idle = 0;
  pthread_barrier_wait(&start_line);
  for (unsigned iter = 0; !finished(iter); iter++) {
    uint64_t pops = s->pops;
    uint32_t r16 = rnd(&seed) % 16;
    if (next < N_ITEMS && r16 < 9) {
      for (uint32_t k = 1 + rnd(&seed) % 8; k > 0 && next < N_ITEMS; k--)
        owner_push(r, as_task(&items[next++]), &seed, s);
    } else if (r16 < 14 || next == N_ITEMS) {
      for (uint32_t k = 1 + rnd(&seed) % 6; k > 0; k--) {
        weft_task *t = weft__ring_pop(r);
        if (!t)
          break;
        s->pops++;
        take(t, &local);
      }
    }
    if (r16 >= 14 || next == N_ITEMS) { /* drain the overflow back */
      pthread_mutex_lock(&ov_lock);
      while (ov_len > 0 && weft__ring_push(r, ov[ov_len - 1]))
        ov_len--;
      pthread_mutex_unlock(&ov_lock);
    }
    if (next == N_ITEMS && s->pops == pops) {
      flush(&local); /* the rest is the stealers' */
      if (++idle % 64 == 0)
        sched_yield();
    }
    pause_randomly(&seed);
  }
  flush(&local);
  s->taken = s->pops;
  return NULL;
}

static void *stealer(void *arg) {
  int me = (int)(intptr_t)arg;
  weft__ring *mine = &rings[me];
  stats *s = &st[me];
  uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(me + 1);
  uint32_t local = 0;
  unsigned idle = 0;
  pthread_barrier_wait(&start_line);
  for (unsigned iter = 0; !finished(iter); iter++) {
    bool found = false;
    /* Steal when our own ring is low, mostly from the owner. */
    if (weft__ring_len(mine) < 2 || rnd(&seed) % 8 == 0) {
      int victim = 0;
      if (rnd(&seed) % 4 == 0)
        victim = 1 + (me + (int)(rnd(&seed) % (STEALERS - 1))) % STEALERS;
      uint32_t before = weft__ring_len(mine);
      weft_task *t = weft__ring_steal_into(&rings[victim], mine);
      if (t) {
        s->steals++;
        uint32_t after = weft__ring_len(mine); /* others steal from mine */
        s->stolen += 1 + (after > before ? after - before : 0);
        take(t, &local);
        found = true;
      } else {
        s->steal_empty++;
      }
    }
    for (uint32_t k = 1 + rnd(&seed) % 8; k > 0; k--) {
      weft_task *t = weft__ring_pop(mine);
      if (!t)
        break;
      s->pops++;
      take(t, &local);
      found = true;
    }
    if (found) {
      idle = 0;
    } else {
      flush(&local);
      if (++idle % 64 == 0)
        sched_yield(); /* two cores, four threads: let the owner run */
    }
    pause_randomly(&seed);
  }
  flush(&local);
  s->taken = s->pops + s->steals;
  return NULL;
}

int main(void) {
  items = calloc(N_ITEMS, sizeof *items);
  ov = calloc(N_ITEMS, sizeof *ov);
  CHECK(items && ov);
  for (uint32_t i = 0; i < N_ITEMS; i++)
    items[i].magic = ITEM_MAGIC;
  for (int i = 0; i < THREADS; i++) {
    /* Indices start just below 2^32: the wrap comes within a few hundred
     * operations. */
    CHECK_EQ(weft__ring_init_at(&rings[i], 0, UINT32_MAX - 300 - (uint32_t)i),
             0);
    /* The ring linked in is the one this file was compiled against: in
     * test_ring_stress4 the 4-slot copy, not the library's. */
    CHECK_EQ(weft__ring_capacity(&rings[i]), WEFT_RING_CAPACITY);
  }
  CHECK_EQ(pthread_barrier_init(&start_line, NULL, THREADS + 1), 0);
  pthread_t th[THREADS];
  CHECK_EQ(pthread_create(&th[0], NULL, owner, NULL), 0);
  for (int i = 1; i < THREADS; i++)
    CHECK_EQ(pthread_create(&th[i], NULL, stealer, (void *)(intptr_t)i), 0);
  t_start = now_s();
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < THREADS; i++)
    CHECK_EQ(pthread_join(th[i], NULL), 0);
  double secs = now_s() - t_start;

  stats sum = {0};
  for (int i = 0; i < THREADS; i++) {
    sum.taken += st[i].taken;
    sum.steals += st[i].steals;
    sum.stolen += st[i].stolen;
    sum.steal_empty += st[i].steal_empty;
  }
  fprintf(
      stderr,
      "ring_stress (capacity %u): %u items in %.2f s; owner took %llu, "
      "stealers %llu in %llu steals (%llu tasks, %llu found nothing); "
      "pushes %llu, full %llu, overflows %llu, take_half 0 %llu, "
      "single to overflow %llu\n",
      (unsigned)WEFT_RING_CAPACITY, (unsigned)N_ITEMS, secs,
      (unsigned long long)st[0].taken,
      (unsigned long long)(sum.taken - st[0].taken),
      (unsigned long long)sum.steals, (unsigned long long)sum.stolen,
      (unsigned long long)sum.steal_empty, (unsigned long long)st[0].pushes,
      (unsigned long long)st[0].push_full, (unsigned long long)st[0].overflows,
      (unsigned long long)st[0].half_zero, (unsigned long long)st[0].ov_single);
  if (stop == 1) {
    fprintf(stderr, "ring_stress: gave up after %.0f s with %u of %u taken\n",
            TIME_LIMIT_S, consumed, (unsigned)N_ITEMS);
    return 1;
  }
  CHECK_EQ(consumed, N_ITEMS);
  CHECK_EQ(sum.taken, N_ITEMS);
  CHECK_EQ(ov_len, 0);
  for (int i = 0; i < THREADS; i++) {
    CHECK(weft__ring_is_empty(&rings[i]));
    CHECK(weft__ring_pop(&rings[i]) == NULL);
    weft__ring_fini(&rings[i]);
  }
  for (uint32_t i = 0; i < N_ITEMS; i++)
    if (items[i].taken != 1 || items[i].magic != ITEM_MAGIC) {
      fprintf(stderr, "item %u: taken %u times\n", i, items[i].taken);
      return 1;
    }
  pthread_barrier_destroy(&start_line);
  free(items);
  free(ov);
  return 0;
}
