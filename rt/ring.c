/*
 * rt/ring.c: the per-worker run queue (see rt/ring.h for who may call what).
 *
 * What it does. A fixed array of capacity slots (a power of two) indexed by
 * free-running u32 counters, compared by wrapping subtraction. One worker,
 * the owner, appends at the tail and removes at the head (FIFO, as asyncio
 * runs ready callbacks). Other workers steal from the same end, half of the
 * queue in one claim. Tokio's multi_thread/queue.rs, written over in C.
 *
 * The words. tail (u32) is written by the owner only. head (u64) packs two
 * u32 indices, steal << 32 | real, and changes only by CAS, from the owner
 * (pop, take_half) and from stealers:
 *   real   the next task to hand out;
 *   steal  the first slot a stealer is still copying out; equal to real when
 *          no steal is in progress.
 *
 * Invariants (wrapping order, indices modulo 2^32):
 *   I1  steal <= real <= tail and tail - steal <= capacity.
 *   I2  Slots [real, tail) hold the queued tasks; slot i lives at i & mask.
 *   I3  Slots [steal, real) belong to the one stealer copying them out: the
 *       owner may not reuse them, so push measures fullness from steal, not
 *       from real.
 *   I4  steal != real only between a stealer's claim (steal_into step 2) and
 *       its release (step 4). Nobody else moves steal meanwhile: pop moves
 *       only real, take_half and every other stealer back off. So one steal
 *       at a time per ring.
 *   I5  Only the owner writes tail and the slots of its own ring (a stealer
 *       writes only into its own dst, as dst's owner).
 *
 * Steal protocol (steal_into(src, dst); the caller owns dst):
 *   1. Room in dst: dst capacity - (dst tail - dst steal). Measured from
 *      dst's steal index, since a third thread may be copying out of dst.
 *   2. Claim: read src head; if steal != real, back off (I4). Read src tail,
 *      n = half of tail - real rounded up, at most room + 1. CAS head from
 *      (real, real) to (real, real + n): the tasks are ours, and steal still
 *      marks them as being read so the owner cannot overwrite them (I3).
 *   3. Copy: the oldest claimed task is returned, the other n - 1 go to the
 *      tail of dst (not yet published).
 *   4. Release: CAS src head from (first, r) to (r, r) for the current real
 *      r (the owner may have popped meanwhile, hence a CAS loop).
 *   5. Publish dst's new tail.
 * Because the claim comes before the copy, no slot is ever read while it can
 * be written: every slot access is an ordinary access ordered by the
 * protocol, and ThreadSanitizer checks exactly that.
 *
 * Overflow. A push that finds the ring full fails; the owner then claims the
 * oldest half with one CAS (take_half) and moves it to the inject queue,
 * so a full ring costs one lock per capacity / 2 pushes, not one per push.
 *
 * Costs. push: a load and a store, no read-modify-write. pop: one CAS (the
 * owner shares the head with stealers). steal: two CASes per batch.
 *
 * ABA. A CAS on head compares both indices, which only grow; a stale head
 * could match again only after 2^32 operations between a thread's load and
 * its CAS (Tokio widened its indices from u16 to u32 for this, issue 5041).
 *
 * Memory order, in one place (each operation below names its partner):
 *   - push writes the slot, then store-releases tail; a stealer
 *     load-acquires tail before it reads slots below it.
 *   - a stealer releases its steal (step 4) with a CAS after its last read
 *     of the claimed slots; push (and step 1 into this ring) load-acquire
 *     head before writing a slot, so the write cannot pass the read.
 *   - every CAS on head is a release, and a stealer load-acquires head
 *     before it loads tail: whoever set a real had seen a tail at least as
 *     far, and the acquire carries that over, so the tail a stealer sees is
 *     at least the real it saw and tail - real cannot underflow. (On x86-64
 *     this holds for free; on weaker hardware a relaxed pop would break it.)
 *   - the owner reads its own tail and its own slots without ordering.
 * Every CAS is ck_pr's, a full barrier (see rt/atomic.h); each says what it
 * needs, which is never more than acquire-release.
 *
 * Rejected:
 *   - Chase-Lev with a growable array (crossbeam): growth needs safe memory
 *     reclamation of the old array on the hot path (ck_epoch), the owner end
 *     is LIFO, and stealers take one task per CAS. Tokio dropped it for this
 *     ring (DESIGN 3).
 *   - ck_ring's SPMC mode: bounded and lock-free, but a consumer dequeues one
 *     item per CAS and there is no steal-half or claim-then-copy; a stealer
 *     taking 128 tasks would pay 128 contended CASes.
 *   - Go's runqgrab: one u32 head; the stealer copies first and CASes
 *     after, discarding the copy if the CAS fails. The copy can race with
 *     the owner reusing those slots: Go tolerates the discarded read, in C
 *     every slot would have to be an atomic and a lost CAS wastes the copy.
 *     Claiming first (the steal index) keeps the slots ordinary memory,
 *     ordered by the protocol, which TSan then checks.
 *   - A mutex per ring: a preempted stealer would block the owner.
 *
 * The owner's push and pop run on every task switch and are inline in
 * rt/ring.h; the rest of the protocol is here.
 */
#include "rt/ring.h"

#include <errno.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/common.h"

_Static_assert(WEFT_RING_CAPACITY >= 2 && WEFT_RING_CAPACITY <= (1u << 31) &&
                   (WEFT_RING_CAPACITY & (WEFT_RING_CAPACITY - 1)) == 0,
               "WEFT_RING_CAPACITY must be a power of two from 2 to 2^31");

static size_t alloc_size(uint32_t capacity) {
  return sizeof(struct weft__ring_block) +
         (size_t)capacity * sizeof(weft_task *) + WEFT_CACHELINE - 1;
}

int weft__ring_init_at(weft__ring *r, uint32_t capacity, uint32_t start) {
  if (capacity == 0)
    capacity = WEFT_RING_CAPACITY;
  if (capacity < 2 || capacity > (1u << 31) || (capacity & (capacity - 1)))
    return -EINVAL;
  char *mem = weft__alloc(alloc_size(capacity));
  if (!mem)
    return -ENOMEM;
  struct weft__ring_block *b =
      (void *)(mem + (-(uintptr_t)mem & (WEFT_CACHELINE - 1)));
  /* Plain stores: the ring is not shared yet; whatever hands it to other
   * threads (their creation, a lock) orders these before their loads. */
  b->head = weft__ring_pack(start, start);
  b->tail = start;
  r->b = b;
  r->mem = mem;
  r->mask = capacity - 1;
  return 0;
}

int weft__ring_init(weft__ring *r, uint32_t capacity) {
  return weft__ring_init_at(r, capacity, 0);
}

void weft__ring_fini(weft__ring *r) {
  if (r->mem)
    weft__free(r->mem, alloc_size(r->mask + 1));
  r->b = NULL;
  r->mem = NULL;
}

uint32_t weft__ring_take_half(weft__ring *r, weft_task **out) {
  struct weft__ring_block *b = r->b;
  /* Relaxed: only this thread writes tail (I5). */
  uint32_t tail = weft__load_relaxed(&b->tail);
  /* Relaxed: a guess the CAS below checks; we read only slots this thread
   * wrote and write none. */
  uint64_t head = weft__load_relaxed(&b->head);
  uint32_t real;
  uint32_t n;
  for (;;) {
    real = weft__ring_real_of(head);
    if (weft__ring_steal_of(head) != real)
      return 0; /* a stealer is copying out: it frees slots (I3, I4) */
    uint32_t len = tail - real;
    n = len - len / 2;
    if (n == 0)
      return 0;
    /* Release, as in pop: the new real carries our tail stores to the
     * load-acquire of head in steal_into step 2. Atomic against a stealer's
     * claim; on failure a stealer claimed (the loop returns 0) or came and
     * went (we retry with the new head). */
    if (ck_pr_cas_64_value(&b->head, head, weft__ring_pack(real + n, real + n),
                           &head))
      break;
  }
  for (uint32_t i = 0; i < n; i++)
    out[i] = b->slot[(real + i) & r->mask];
  return n;
}

weft_task *weft__ring_steal_into(weft__ring *src, weft__ring *dst) {
  WEFT_ASSERT(src != dst);
  struct weft__ring_block *s = src->b;
  struct weft__ring_block *d = dst->b;

  /* Step 1. Relaxed: the caller owns dst, so it is tail's only writer. */
  uint32_t dtail = weft__load_relaxed(&d->tail);
  /* Acquire: pairs with step 4 of a third thread stealing from dst: its
   * reads of dst's slots happen before our writes in step 3. */
  uint32_t dsteal = weft__ring_steal_of(weft__load_acquire(&d->head));
  uint32_t room = dst->mask + 1 - (dtail - dsteal);

  /* Step 2. Acquire: pairs with the release of whichever CAS wrote this
   * head (the owner's pop or take_half, a stealer's claim or release). Its
   * writer had seen tail >= real, so our tail load below sees at least that
   * much and tail - real cannot underflow. */
  uint64_t head = weft__load_acquire(&s->head);
  uint32_t first;
  uint32_t n;
  for (;;) {
    first = weft__ring_steal_of(head);
    uint32_t real = weft__ring_real_of(head);
    if (first != real)
      return NULL; /* another steal is in progress (I4) */
    /* Acquire: pairs with the store-release of tail in push: the slots
     * below it hold the tasks the owner wrote. */
    uint32_t tail = weft__load_acquire(&s->tail);
    uint32_t avail = tail - real;
    n = avail - avail / 2;
    if (n > room + 1) /* one is returned, room for the rest */
      n = room + 1;
    if (n == 0)
      return NULL;
    /* Release: the new real carries the tail we loaded to the next thread
     * that load-acquires this head (another stealer's step 2, len). The
     * slot contents need nothing more: they came with the tail acquire. On
     * failure head is the current value, read with acquire (ck_pr's CAS is
     * a full barrier) as the next round needs. */
    if (ck_pr_cas_64_value(&s->head, head, weft__ring_pack(first, real + n),
                           &head))
      break;
  }

  /* Step 3: [first, first + n) is ours; the owner cannot reuse it (I3). */
  weft_task *ret = s->slot[first & src->mask];
  for (uint32_t i = 1; i < n; i++)
    d->slot[(dtail + i - 1) & dst->mask] = s->slot[(first + i) & src->mask];

  /* Step 4. Release: our reads of the claimed slots above happen before
   * this CAS; pairs with the load-acquire of head in push (the owner may
   * then reuse the slots) and in step 1 of a steal into src. A loop, since
   * the owner's pop moves real meanwhile; nothing else moves (I4). */
  head = weft__ring_pack(first, first + n);
  for (;;) {
    WEFT_ASSERT(weft__ring_steal_of(head) == first);
    uint32_t real = weft__ring_real_of(head);
    if (ck_pr_cas_64_value(&s->head, head, weft__ring_pack(real, real), &head))
      break;
  }

  /* Step 5. Release: publishes the slots written in step 3; pairs with the
   * load-acquire of tail in step 2 of a thread stealing from dst. */
  if (n > 1)
    weft__store_release(&d->tail, dtail + n - 1);
  return ret;
}

uint32_t weft__ring_len(const weft__ring *r) {
  const struct weft__ring_block *b = r->b;
  /* Acquire: pairs with the release of the CAS that wrote head, as in
   * steal_into step 2, so the tail loaded next is at least real. */
  uint32_t real = weft__ring_real_of(weft__load_acquire(&b->head));
  /* Relaxed: only the count is used, no slot is read. */
  uint32_t n = weft__load_relaxed(&b->tail) - real;
  /* The owner may have popped and pushed between the two loads. */
  return n > r->mask ? r->mask + 1 : n;
}

bool weft__ring_is_empty(const weft__ring *r) { return weft__ring_len(r) == 0; }
