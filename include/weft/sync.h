/*
 * weft/sync.h: synchronisation between tasks (asyncio's Event, Lock,
 * Semaphore, BoundedSemaphore, Condition, Queue, Barrier), a oneshot
 * channel, task groups (asyncio.TaskGroup) and as_completed.
 *
 * Every object here is safe to use from tasks on any worker at once. Objects
 * are made by *_new (which may fail with -EINVAL or -ENOMEM) and released by
 * *_free, which returns -EBUSY (and frees nothing) while a task still waits
 * on the object. Functions that only look or wake (set, release, notify,
 * put without waiting...) never suspend and may be called from any thread,
 * task or not, unless their text says otherwise. Functions that wait return
 * -EPERM when called outside a task.
 *
 * Cancellation (weft_cancel) of a waiting task makes the wait return
 * -ECANCELED. Each waiting function below says what a cancellation can cost
 * ("cancellation-safe" means nothing is lost: retrying is equivalent to not
 * having called it). Where a wake-up and a cancellation cross (the task was
 * granted the lock, a permit, a notification or a wake-up, but was cancelled
 * before it ran again), the function returns -ECANCELED as asyncio raises
 * CancelledError, and passes what it was granted on to the next waiter: no
 * grant is lost and no waiter stays asleep because of it.
 *
 * Differences from asyncio, in short:
 * - A Lock is owned by the task that acquired it: releasing it from another
 *   task (or when it is not held) is -EPERM (asyncio checks only "held"),
 *   and acquiring it again from its owner is -EDEADLK (asyncio deadlocks).
 *   Release hands the lock straight to the first waiter (FIFO, no barging),
 *   which is what asyncio's Lock does in effect.
 * - Queue items are void pointers; priority queues order by an int64_t
 *   priority (smallest first) and keep equal priorities FIFO (asyncio's heap
 *   compares the items themselves). Queues can be closed (asyncio 3.13's
 *   Queue.shutdown without immediate): put fails with -EPIPE, get drains the
 *   remaining items and then fails with -EPIPE.
 * - Errors are codes: asyncio.QueueEmpty/QueueFull are -EAGAIN,
 *   BrokenBarrierError is -EPIPE, ValueError from BoundedSemaphore.release
 *   and Queue.task_done is -EOVERFLOW, RuntimeError from misuse is -EPERM.
 * - A task group reports its failures as a list of codes
 *   (weft_group_failures) instead of an ExceptionGroup.
 */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Event ------------------------------------------------------------- */

typedef struct weft_event weft_event;

/* Makes an event, initially not set. Returns 0, -EINVAL or -ENOMEM. */
int weft_event_new(weft_event **out);
/* Frees e. -EBUSY while tasks wait on it; NULL is ignored (0). */
int weft_event_free(weft_event *e);
/* Sets the flag and wakes every waiting task, in the order they came. Any
 * thread; does not suspend. */
void weft_event_set(weft_event *e);
/* Clears the flag: later waits wait again. Any thread. */
void weft_event_clear(weft_event *e);
bool weft_event_is_set(const weft_event *e);
/* Waits until the flag is set. Returns 0 at once, without suspending, if it
 * is set (as asyncio's Event.wait); else suspends. -ECANCELED if cancelled
 * (also when the event was set but the task was cancelled before it ran
 * again; other waiters are woken regardless). Cancellation-safe. */
int weft_event_wait(weft_event *e);

/* ---- Lock -------------------------------------------------------------- */

typedef struct weft_lock weft_lock;

int weft_lock_new(weft_lock **out);
/* -EBUSY while held or waited on. */
int weft_lock_free(weft_lock *l);
/* Acquires l for the calling task. Does not suspend if l is free and nobody
 * waits; else waits in FIFO order. Returns 0 (l is held), -ECANCELED
 * (not held: cancelled while waiting, or granted and cancelled before it
 * ran again, in which case the lock went on to the next waiter), -EDEADLK
 * if the caller holds l already, -EPERM outside a task. Cancellation-safe:
 * a cancelled waiter loses its place in line, nothing else. */
int weft_lock_acquire(weft_lock *l);
/* Acquires l if that needs no wait: 0, or -EBUSY. Never suspends. */
int weft_lock_try_acquire(weft_lock *l);
/* Releases l; if tasks wait, the first one now holds it (hand-off). Returns
 * 0, or -EPERM if the calling task does not hold l (not held at all, held by
 * another task, or called outside a task); l is then left as it was. */
int weft_lock_release(weft_lock *l);
bool weft_lock_locked(const weft_lock *l);

/* ---- Semaphore and BoundedSemaphore ------------------------------------ */

typedef struct weft_sem weft_sem;

/* A semaphore with value permits (value >= 0, else -EINVAL). The bounded
 * one refuses a release that would raise the value above its initial
 * value. */
int weft_sem_new(weft_sem **out, long value);
int weft_sem_new_bounded(weft_sem **out, long value);
int weft_sem_free(weft_sem *s);
/* Takes a permit. Does not suspend if one is free and nobody waits; else
 * waits in FIFO order. Returns 0, -ECANCELED (no permit taken; a permit
 * granted at the moment of the cancellation goes on to the next waiter),
 * -EPERM outside a task. Cancellation-safe. */
int weft_sem_acquire(weft_sem *s);
/* 0, or -EBUSY if that would need a wait. Never suspends. */
int weft_sem_try_acquire(weft_sem *s);
/* Gives a permit back; it goes straight to the first waiter if any. Returns
 * 0, or -EOVERFLOW for a bounded semaphore already at its initial value
 * (nothing changes). Any thread. */
int weft_sem_release(weft_sem *s);
/* The free permits now. */
long weft_sem_value(const weft_sem *s);

/* ---- Condition --------------------------------------------------------- */

typedef struct weft_cond weft_cond;

/* A condition variable over lock (NULL: it makes and owns its own). The
 * lock must outlive the condition. */
int weft_cond_new(weft_cond **out, weft_lock *lock);
int weft_cond_free(weft_cond *c);
/* Its lock: acquire and release it with weft_lock_acquire/release. */
weft_lock *weft_cond_lock(weft_cond *c);
/* Releases the lock, waits for a notify, and takes the lock again. The
 * caller must hold the lock (-EPERM otherwise). Whatever it returns, the
 * lock is held again on return (as asyncio's wait re-acquires it even when
 * cancelled). Returns 0 when notified, -ECANCELED if cancelled (a
 * notification received at the moment of the cancellation is passed to the
 * next waiter). Suspends. Cancellation-safe. */
int weft_cond_wait(weft_cond *c);
/* asyncio's wait_for: waits until pred(ctx) is true (checked with the lock
 * held, first before any wait). Returns 0, or weft_cond_wait's errors. */
int weft_cond_wait_for(weft_cond *c, bool (*pred)(void *ctx), void *ctx);
/* Wakes up to n waiters (notify_all: all), in the order they came. The
 * caller must hold the lock: -EPERM otherwise. Never suspends. */
int weft_cond_notify(weft_cond *c, size_t n);
int weft_cond_notify_all(weft_cond *c);

/* ---- Queue ------------------------------------------------------------- */

typedef struct weft_queue weft_queue;

typedef enum weft_queue_kind {
  WEFT_QUEUE_FIFO = 0, /* asyncio.Queue */
  WEFT_QUEUE_LIFO,     /* asyncio.LifoQueue */
  WEFT_QUEUE_PRIORITY, /* asyncio.PriorityQueue: smallest priority first */
} weft_queue_kind;

/* maxsize 0: unbounded. -EINVAL for an unknown kind. */
int weft_queue_new(weft_queue **out, weft_queue_kind kind, size_t maxsize);
/* -EBUSY while tasks wait on it. Items still inside are not touched. */
int weft_queue_free(weft_queue *q);
/* Puts item (priority 0 for a priority queue), waiting while the queue is
 * full. Does not suspend when there is room. Returns 0, -EPIPE if the queue
 * is closed (also when it closes during the wait; the item was not put),
 * -ECANCELED (the item was not put; cancellation-safe), -EPERM outside a
 * task when it would have to wait. */
int weft_queue_put(weft_queue *q, void *item);
int weft_queue_put_prio(weft_queue *q, int64_t prio, void *item);
/* put_nowait: 0, -EAGAIN if full, -EPIPE if closed. Any thread. */
int weft_queue_try_put(weft_queue *q, void *item);
int weft_queue_try_put_prio(weft_queue *q, int64_t prio, void *item);
/* Takes the next item into *item, waiting while the queue is empty. Does
 * not suspend when an item is there. Returns 0, -EPIPE if the queue is
 * closed and empty, -ECANCELED (no item taken: an item that arrived at the
 * moment of the cancellation stays in the queue and the next getter is
 * woken for it; cancellation-safe), -EPERM outside a task when it would
 * have to wait. */
int weft_queue_get(weft_queue *q, void **item);
/* get_nowait: 0, -EAGAIN if empty, -EPIPE if closed and empty. */
int weft_queue_try_get(weft_queue *q, void **item);
/* One item taken earlier is processed. 0, or -EOVERFLOW if called more
 * times than items were put. When none is left unprocessed, join returns. */
int weft_queue_task_done(weft_queue *q);
/* Waits until every item put has been marked done. Returns 0 (at once,
 * without suspending, if none is pending) or -ECANCELED. Cancellation-safe. */
int weft_queue_join(weft_queue *q);
/* Closes q: waiting and later puts fail with -EPIPE; gets drain what is
 * left, then fail with -EPIPE. Idempotent. Any thread. */
void weft_queue_close(weft_queue *q);
size_t weft_queue_size(const weft_queue *q);
size_t weft_queue_maxsize(const weft_queue *q);

/* ---- oneshot channel --------------------------------------------------- */

/* One value, sent once, received once. */
typedef struct weft_oneshot weft_oneshot;

int weft_oneshot_new(weft_oneshot **out);
int weft_oneshot_free(weft_oneshot *o);
/* Sends value and wakes the receiver. 0, -EALREADY if a value was sent
 * before, -EPIPE if the channel was closed. Any thread; never suspends. */
int weft_oneshot_send(weft_oneshot *o, void *value);
/* The sender gives up: a waiting or later receive fails with -EPIPE (a value
 * already sent can still be received). Any thread. */
void weft_oneshot_close(weft_oneshot *o);
/* Waits for the value. 0 with *value, -EPIPE if closed without a value,
 * -EALREADY if the value was received already, -ECANCELED (the value, if it
 * arrives, stays for a later receive: cancellation-safe). Does not suspend
 * if the value is there. */
int weft_oneshot_recv(weft_oneshot *o, void **value);
/* 0, -EAGAIN (no value yet), -EPIPE or -EALREADY. Never suspends. */
int weft_oneshot_try_recv(weft_oneshot *o, void **value);

/* ---- Barrier ----------------------------------------------------------- */

typedef struct weft_barrier weft_barrier;

/* parties >= 1, else -EINVAL. */
int weft_barrier_new(weft_barrier **out, size_t parties);
int weft_barrier_free(weft_barrier *b);
/* Waits until parties tasks are waiting, then releases them all (the last
 * one does not suspend). Returns the task's arrival index (0 to parties-1),
 * -EPIPE if the barrier is broken (aborted or reset while it waited, or
 * before), -ECANCELED if cancelled before the barrier filled (the task
 * leaves: the barrier waits for another arrival instead). A task released at
 * the moment it was cancelled returns its index; the cancellation stays
 * pending for its next suspension. */
int weft_barrier_wait(weft_barrier *b);
/* Breaks the barrier: waiters and later waits get -EPIPE until reset. */
void weft_barrier_abort(weft_barrier *b);
/* Waiters get -EPIPE; the barrier is empty and usable again. */
void weft_barrier_reset(weft_barrier *b);
size_t weft_barrier_n_waiting(const weft_barrier *b);
bool weft_barrier_broken(const weft_barrier *b);

/* ---- task groups ------------------------------------------------------- */

/* asyncio.TaskGroup / Trio's nursery. The task that makes a group owns it:
 *   weft_group *g; weft_group_new(&g);
 *   int rc = body(g);                   spawns children, may fail
 *   rc = weft_group_exit(g, rc);        awaits every child
 *   weft_group_free(g);
 * The first child to fail (return a negative code other than -ECANCELED)
 * cancels the other children and the owner (whose body then sees
 * -ECANCELED at its next suspension and should go to weft_group_exit; that
 * cancellation is withdrawn by the exit). Cancelling the owner cancels the
 * children when it reaches weft_group_exit with -ECANCELED, or while it
 * waits there. Groups nest. */
typedef struct weft_group weft_group;

/* Makes a group owned by the calling task. -EPERM outside a task. */
int weft_group_new(weft_group **out);
/* Spawns fn(arg) as a child (as weft_spawn). *out, if out is not NULL,
 * receives a borrowed handle, valid until weft_group_free (do not detach
 * it): the group keeps that child's task until then. With out NULL the group
 * keeps nothing of a child once it has finished (asyncio's TaskGroup
 * discards done tasks), so a long-lived group can take a child per
 * connection. Returns 0, -EPIPE if the group has exited or is cancelling its
 * children after a failure, or weft_spawn's errors. Call it from the owner
 * or from a child of the group (the exit waits for what they spawn). Does
 * not suspend (an eager child runs before it returns, as with weft_spawn). */
int weft_group_spawn_at(weft_group *g, weft_task **out, weft_fn fn, void *arg,
                        const weft_spawn_opts *opts, const char *file,
                        int line);
#define weft_group_spawn(g, out, fn, arg)                                      \
  weft_group_spawn_at((g), (out), (fn), (arg), NULL, __FILE__, __LINE__)
/* asyncio's __aexit__: body_rc is the owner's own outcome (0 or a negative
 * code). If it is negative, the children are cancelled. Waits for every
 * child; if the owner is cancelled meanwhile, the children are cancelled
 * and the wait goes on. Returns 0 if everything succeeded; else the first
 * failure's code (a child's, or body_rc if it is a failure other than
 * -ECANCELED): weft_group_failures lists them all; else -ECANCELED if the
 * owner was cancelled from outside the group. Only the owner may call it:
 * -EPERM otherwise; -EPIPE if called twice. Suspends while children run. */
int weft_group_exit(weft_group *g, int body_rc);
/* Every failure, in the order they happened (up to cap codes into codes);
 * returns how many there were. */
size_t weft_group_failures(const weft_group *g, int *codes, size_t cap);
/* Frees g and its children's handles. -EBUSY if weft_group_exit has not
 * returned yet (nothing freed). */
int weft_group_free(weft_group *g);

/* ---- as_completed ------------------------------------------------------ */

/* asyncio.as_completed: yields the tasks in the order they finish. */
typedef struct weft_as_completed weft_as_completed;

/* Over n tasks (handles stay the caller's; they must outlive it). */
int weft_as_completed_new(weft_as_completed **out, weft_task *const *tasks,
                          size_t n);
/* The next task to finish, into *t: does not suspend if one has finished
 * that was not returned yet (the earliest finished first), else waits
 * (weft_wait). Returns 0, -ENOENT when all n were returned, -ECANCELED
 * (nothing lost: call again), -EPERM outside a task. */
int weft_as_completed_next(weft_as_completed *ac, weft_task **t);
void weft_as_completed_free(weft_as_completed *ac);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SYNC_H */
