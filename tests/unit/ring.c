/* The per-worker ring (rt/ring.c), one thread: FIFO order, full and empty,
 * take_half, steal_into, a steal in progress, wrap-around of the u32
 * indices, capacity 4, and a random walk checked against a plain model.
 * Ends with a rough push+pop cost per item (printed, never asserted).
 * The concurrent half is tests/unit/ring_stress.c. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt/ring.h"

/* Fake tasks: the ring stores the pointers and never dereferences them. */
enum { NITEMS = 4096 };
static weft_task *items[NITEMS];
static char storage[NITEMS];

static void setup_items(void) {
  for (int i = 0; i < NITEMS; i++)
    items[i] = (weft_task *)(void *)&storage[i];
}
static int id_of(const weft_task *t) {
  return t ? (int)((const char *)(const void *)t - storage) : -1;
}

/* Reads the packed head the way rt/ring.c lays it out: the block starts with
 * head (steal << 32 | real). Only for the in-progress tests below. */
static uint64_t *head_word(weft__ring *r) { return (uint64_t *)(void *)r->b; }

static void t_init(void) {
  weft__ring r;
  CHECK_EQ(weft__ring_init(&r, 0), 0);
  CHECK_EQ(weft__ring_capacity(&r), WEFT_RING_CAPACITY);
  CHECK(weft__ring_is_empty(&r));
  CHECK_EQ((uintptr_t)r.b % 64, 0);
  weft__ring_fini(&r);
  weft__ring_fini(&r); /* twice is harmless */
  uint32_t bad[] = {1, 3, 6, 100, (1u << 31) + 1, UINT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_EQ(weft__ring_init(&r, bad[i]), -EINVAL);
  CHECK_EQ(weft__ring_init(&r, 2), 0);
  CHECK_EQ(weft__ring_capacity(&r), 2);
  weft__ring_fini(&r);
}

/* Fill, overfill, drain: FIFO order and lengths, at several start indices
 * so the u32 wrap falls anywhere in the sequence. */
static void fifo_at(uint32_t cap, uint32_t start) {
  weft__ring r;
  CHECK_EQ(weft__ring_init_at(&r, cap, start), 0);
  CHECK(weft__ring_pop(&r) == NULL);
  for (int round = 0; round < 3; round++) {
    for (uint32_t i = 0; i < cap; i++) {
      CHECK_EQ(weft__ring_len(&r), i);
      CHECK(weft__ring_push(&r, items[i]));
    }
    CHECK_EQ(weft__ring_len(&r), cap);
    CHECK(!weft__ring_push(&r, items[cap]));
    CHECK_EQ(weft__ring_len(&r), cap);
    for (uint32_t i = 0; i < cap; i++)
      CHECK_EQ(id_of(weft__ring_pop(&r)), (int)i);
    CHECK(weft__ring_pop(&r) == NULL);
    CHECK(weft__ring_is_empty(&r));
  }
  weft__ring_fini(&r);
}

static void t_fifo(void) {
  uint32_t caps[] = {2, 4, 256};
  uint32_t starts[] = {0, 1000, UINT32_MAX - 1, UINT32_MAX - 130, UINT32_MAX};
  for (size_t c = 0; c < 3; c++)
    for (size_t s = 0; s < 5; s++)
      fifo_at(caps[c], starts[s]);
}

/* Interleaved pushes and pops keep order across many laps of the array. */
static void t_interleaved(void) {
  weft__ring r;
  CHECK_EQ(weft__ring_init_at(&r, 4, UINT32_MAX - 10), 0);
  int next_in = 0;
  int next_out = 0;
  for (int i = 0; i < 1000; i++) {
    CHECK(weft__ring_push(&r, items[next_in++ % NITEMS]));
    if (i % 3 != 2)
      CHECK_EQ(id_of(weft__ring_pop(&r)), next_out++ % NITEMS);
    if (weft__ring_len(&r) == 4)
      while (next_out < next_in)
        CHECK_EQ(id_of(weft__ring_pop(&r)), next_out++ % NITEMS);
  }
  weft__ring_fini(&r);
}

static void t_take_half(void) {
  weft_task *out[128];
  uint32_t starts[] = {0, UINT32_MAX - 2};
  for (size_t s = 0; s < 2; s++) {
    weft__ring r;
    CHECK_EQ(weft__ring_init_at(&r, 256, starts[s]), 0);
    CHECK_EQ(weft__ring_take_half(&r, out), 0); /* empty */
    for (int i = 0; i < 256; i++)
      CHECK(weft__ring_push(&r, items[i]));
    CHECK(!weft__ring_push(&r, items[256]));
    CHECK_EQ(weft__ring_take_half(&r, out), 128);
    for (int i = 0; i < 128; i++)
      CHECK_EQ(id_of(out[i]), i); /* the oldest half, oldest first */
    CHECK_EQ(weft__ring_len(&r), 128);
    CHECK(weft__ring_push(&r, items[256])); /* room again */
    for (int i = 128; i <= 256; i++)
      CHECK_EQ(id_of(weft__ring_pop(&r)), i);
    CHECK(weft__ring_pop(&r) == NULL);
    /* Odd counts round up; one task is taken whole. */
    for (int i = 0; i < 5; i++)
      CHECK(weft__ring_push(&r, items[i]));
    CHECK_EQ(weft__ring_take_half(&r, out), 3);
    CHECK_EQ(weft__ring_take_half(&r, out), 1);
    CHECK_EQ(id_of(out[0]), 3);
    CHECK_EQ(weft__ring_take_half(&r, out), 1);
    CHECK_EQ(id_of(out[0]), 4);
    CHECK_EQ(weft__ring_take_half(&r, out), 0);
    weft__ring_fini(&r);
  }
}

static void t_steal(void) {
  weft__ring src;
  weft__ring dst;
  CHECK_EQ(weft__ring_init_at(&src, 16, UINT32_MAX - 3), 0);
  CHECK_EQ(weft__ring_init_at(&dst, 16, UINT32_MAX - 7), 0);
  CHECK(weft__ring_steal_into(&src, &dst) == NULL); /* nothing to steal */
  for (int i = 0; i < 10; i++)
    CHECK(weft__ring_push(&src, items[i]));
  /* Half of 10: tasks 0-4; 0 comes back to run, 1-4 land in dst. */
  CHECK_EQ(id_of(weft__ring_steal_into(&src, &dst)), 0);
  CHECK_EQ(weft__ring_len(&src), 5);
  CHECK_EQ(weft__ring_len(&dst), 4);
  for (int i = 1; i <= 4; i++)
    CHECK_EQ(id_of(weft__ring_pop(&dst)), i);
  CHECK(weft__ring_pop(&dst) == NULL);
  /* Half of 5 rounds up: 5, 6, 7. */
  CHECK_EQ(id_of(weft__ring_steal_into(&src, &dst)), 5);
  CHECK_EQ(weft__ring_len(&dst), 2);
  /* The victim's owner keeps its order and its capacity back. */
  CHECK_EQ(id_of(weft__ring_pop(&src)), 8);
  for (int i = 100; i < 115; i++)
    CHECK(weft__ring_push(&src, items[i]));
  CHECK(!weft__ring_push(&src, items[115]));
  CHECK_EQ(id_of(weft__ring_pop(&src)), 9);
  /* One task: stolen and returned, dst untouched. */
  weft__ring one;
  CHECK_EQ(weft__ring_init(&one, 4), 0);
  CHECK(weft__ring_push(&one, items[42]));
  CHECK_EQ(id_of(weft__ring_steal_into(&one, &dst)), 42);
  CHECK(weft__ring_is_empty(&one));
  CHECK_EQ(weft__ring_len(&dst), 2);
  weft__ring_fini(&one);
  /* dst with little room: only room + 1 are taken (15 in src, 8 wanted). */
  for (int i = 200; i < 212; i++) /* dst: 2 + 12 = 14 of 16 */
    CHECK(weft__ring_push(&dst, items[i]));
  CHECK_EQ(weft__ring_len(&src), 15);
  CHECK_EQ(id_of(weft__ring_steal_into(&src, &dst)), 100);
  CHECK_EQ(weft__ring_len(&src), 12);
  CHECK_EQ(weft__ring_len(&dst), 16);
  CHECK(!weft__ring_push(&dst, items[0]));
  /* dst full: one task can still be stolen, to run. */
  CHECK_EQ(id_of(weft__ring_steal_into(&src, &dst)), 103);
  CHECK_EQ(weft__ring_len(&dst), 16);
  int expect_dst[] = {6,   7,   200, 201, 202, 203, 204, 205,
                      206, 207, 208, 209, 210, 211, 101, 102};
  for (int i = 0; i < 16; i++)
    CHECK_EQ(id_of(weft__ring_pop(&dst)), expect_dst[i]);
  for (int i = 104; i < 115; i++)
    CHECK_EQ(id_of(weft__ring_pop(&src)), i);
  CHECK(weft__ring_is_empty(&src) && weft__ring_is_empty(&dst));
  weft__ring_fini(&src);
  weft__ring_fini(&dst);
}

/* A stealer that claimed [first, real) and has not released yet, made by
 * hand: others back off, the owner pops past it and counts the claimed
 * slots as still taken until the release. */
static void t_steal_in_progress(void) {
  weft__ring r;
  weft__ring dst;
  weft_task *out[2];
  CHECK_EQ(weft__ring_init_at(&r, 4, UINT32_MAX - 1), 0);
  CHECK_EQ(weft__ring_init(&dst, 4), 0);
  for (int i = 0; i < 4; i++)
    CHECK(weft__ring_push(&r, items[i]));
  uint32_t first = UINT32_MAX - 1;
  uint64_t *head = head_word(&r);
  CHECK_EQ(*head, (uint64_t)first << 32 | first);
  *head = (uint64_t)first << 32 | (uint32_t)(first + 2); /* claimed 0, 1 */
  CHECK_EQ(weft__ring_len(&r), 2);
  CHECK(weft__ring_steal_into(&r, &dst) == NULL);
  CHECK_EQ(weft__ring_take_half(&r, out), 0);
  CHECK(!weft__ring_push(&r, items[9])); /* slots of 0, 1 not free yet */
  CHECK_EQ(id_of(weft__ring_pop(&r)), 2);
  CHECK_EQ(*head, (uint64_t)first << 32 | (uint32_t)(first + 3));
  CHECK(!weft__ring_push(&r, items[9]));
  /* The stealer's release: steal catches up with real. */
  *head = (uint64_t)(uint32_t)(first + 3) << 32 | (uint32_t)(first + 3);
  CHECK(weft__ring_push(&r, items[9]));
  CHECK(weft__ring_push(&r, items[10]));
  CHECK(weft__ring_push(&r, items[11]));
  CHECK(!weft__ring_push(&r, items[12]));
  CHECK_EQ(id_of(weft__ring_pop(&r)), 3);
  CHECK_EQ(id_of(weft__ring_pop(&r)), 9);
  CHECK_EQ(id_of(weft__ring_pop(&r)), 10);
  CHECK_EQ(id_of(weft__ring_pop(&r)), 11);
  CHECK(weft__ring_pop(&r) == NULL);
  weft__ring_fini(&r);
  weft__ring_fini(&dst);
}

/* A model of one ring: an unbounded array window [lo, hi) of item ids. */
typedef struct model {
  int q[1 << 16];
  int lo, hi;
} model;

static uint32_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (uint32_t)(*s >> 32);
}

/* Random operations on three rings of capacity cap, starting just below
 * the u32 wrap, each checked against the model. */
static void walk(uint32_t cap, uint64_t seed) {
  enum { RINGS = 3, OPS = 200000 };
  static model m[RINGS];
  weft__ring r[RINGS];
  weft_task *out[128];
  for (int i = 0; i < RINGS; i++) {
    CHECK_EQ(weft__ring_init_at(&r[i], cap, UINT32_MAX - 5 - (uint32_t)i), 0);
    m[i].lo = m[i].hi = 0;
  }
  int next_id = 0;
  for (int op = 0; op < OPS; op++) {
    int a = (int)(rnd(&seed) % RINGS);
    model *ma = &m[a];
    int len = ma->hi - ma->lo;
    CHECK_EQ(weft__ring_len(&r[a]), len);
    switch (rnd(&seed) % 5) {
    case 0:
    case 1: { /* push, overflowing like a worker would */
      int id = next_id++ % NITEMS;
      if (weft__ring_push(&r[a], items[id])) {
        CHECK(len < (int)cap);
        ma->q[ma->hi++ % (1 << 16)] = id;
      } else {
        CHECK_EQ(len, cap);
        uint32_t n = weft__ring_take_half(&r[a], out);
        CHECK_EQ(n, cap / 2);
        for (uint32_t i = 0; i < n; i++)
          CHECK_EQ(id_of(out[i]), ma->q[ma->lo++ % (1 << 16)]);
      }
      break;
    }
    case 2:
    case 3: { /* pop */
      weft_task *t = weft__ring_pop(&r[a]);
      if (len == 0)
        CHECK(t == NULL);
      else
        CHECK_EQ(id_of(t), ma->q[ma->lo++ % (1 << 16)]);
      break;
    }
    default: { /* a steals from b */
      int b = (a + 1 + (int)(rnd(&seed) % (RINGS - 1))) % RINGS;
      model *mb = &m[b];
      int avail = mb->hi - mb->lo;
      int n = avail - avail / 2;
      if (n > (int)cap - len + 1)
        n = (int)cap - len + 1;
      weft_task *t = weft__ring_steal_into(&r[b], &r[a]);
      if (n == 0) {
        CHECK(t == NULL);
        break;
      }
      CHECK_EQ(id_of(t), mb->q[mb->lo++ % (1 << 16)]);
      for (int i = 1; i < n; i++)
        ma->q[ma->hi++ % (1 << 16)] = mb->q[mb->lo++ % (1 << 16)];
      break;
    }
    }
  }
  for (int i = 0; i < RINGS; i++) {
    while (m[i].lo < m[i].hi)
      CHECK_EQ(id_of(weft__ring_pop(&r[i])), m[i].q[m[i].lo++ % (1 << 16)]);
    CHECK(weft__ring_pop(&r[i]) == NULL);
    weft__ring_fini(&r[i]);
  }
}

static void t_walk(void) {
  walk(4, 0x9e3779b97f4a7c15ull);
  walk(2, 0x2545f4914f6cdd1dull);
  walk(256, 0xd1b54a32d192ed03ull);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A sanity figure, not a benchmark: batches of 64 pushes then 64 pops. */
static void t_cost(void) {
  weft__ring r;
  CHECK_EQ(weft__ring_init(&r, 256), 0);
  enum { ROUNDS = 100000, BATCH = 64 };
  uintptr_t sum = 0;
  double t0 = now_ns();
  for (int k = 0; k < ROUNDS; k++) {
    for (int i = 0; i < BATCH; i++)
      weft__ring_push(&r, items[i]);
    for (int i = 0; i < BATCH; i++)
      sum += (uintptr_t)weft__ring_pop(&r);
  }
  double t1 = now_ns();
  CHECK(sum != 0);
  fprintf(stderr, "ring: push+pop %.1f ns per item (single thread)\n",
          (t1 - t0) / ((double)ROUNDS * BATCH));
  weft__ring_fini(&r);
}

int main(void) {
  setup_items();
  struct {
    const char *name;
    void (*fn)(void);
  } tests[] = {
      {"t_init", t_init},
      {"t_fifo", t_fifo},
      {"t_interleaved", t_interleaved},
      {"t_take_half", t_take_half},
      {"t_steal", t_steal},
      {"t_steal_in_progress", t_steal_in_progress},
      {"t_walk", t_walk},
      {"t_cost", t_cost},
  };
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    fprintf(stderr, "-- %s\n", tests[i].name);
    tests[i].fn();
  }
  return 0;
}
