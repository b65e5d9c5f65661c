/*
 * weft/scope.h: timeout scopes (asyncio.timeout), wait_for, and shield
 * scopes (asyncio.shield; Trio's shielded cancel scope).
 *
 * A scope belongs to the task that entered it and is left by the same task,
 * innermost first:
 *   weft_timeout *s;
 *   int rc = weft_timeout_enter(&s, 50 * 1000000);  // 50 ms
 *   if (rc == 0) rc = weft_timeout_exit(s, body());
 * When the deadline passes while the scope is open, the task is cancelled
 * (a weft_cancel, forwarded like any other: an await inside cancels what it
 * awaits): its current or next suspension point returns -ECANCELED, once,
 * as asyncio delivers CancelledError once. Only this scope's exit turns that
 * -ECANCELED into -ETIMEDOUT, and only if no other cancellation was asked
 * for meanwhile (an outer expired scope, or a weft_cancel from outside):
 * then the exit returns -ECANCELED and the outer scope (or the caller) sees
 * it; an outer scope that did not expire never reports -ETIMEDOUT. Scopes
 * nest: whichever deadline passes first cancels, and with inner and outer
 * both expired the outer exit reports -ETIMEDOUT and the inner -ECANCELED,
 * as asyncio does. A kernel ETIMEDOUT (a TCP connect) is a body outcome
 * like any other and is passed through unchanged.
 *
 * Differences from asyncio: the exit takes the body's outcome, since C has
 * no exception to look at; exiting out of order is an error (-EINVAL, the
 * scope stays open) rather than undefined. Each open timeout scope costs a
 * small watchdog task (it sleeps until the deadline and cancels the owner);
 * it is started eagerly and never appears in the owner's scheduling order.
 */
#ifndef WEFT_SCOPE_H
#define WEFT_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/rt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_timeout weft_timeout;

/* Opens a timeout scope of the calling task expiring ns nanoseconds from
 * now (ns >= 0; 0 expires at once: the next suspension is cancelled), or at
 * the absolute weft_now_ns() deadline (-1: no deadline, asyncio's
 * timeout(None)). Does not suspend. Errors: -EINVAL (NULL out, negative ns,
 * deadline below -1), -EPERM (outside a task), -ENOMEM, -ESHUTDOWN. */
int weft_timeout_enter(weft_timeout **out, int64_t ns);
int weft_timeout_enter_at(weft_timeout **out, int64_t deadline);
/* Moves the deadline of an open scope (absolute; -1 for none). Returns 0,
 * -EALREADY if the scope has expired already (asyncio's RuntimeError),
 * -EPERM from a task other than its owner. Does not suspend. */
int weft_timeout_reschedule(weft_timeout *s, int64_t deadline);
/* The deadline (-1 for none), and whether the scope has expired. */
int64_t weft_timeout_when(const weft_timeout *s);
bool weft_timeout_expired(const weft_timeout *s);
/* Closes the scope (and frees it). body_rc is the outcome of what ran
 * inside. Returns body_rc, except: -ETIMEDOUT when this scope expired, no
 * other cancellation was requested meanwhile, and body_rc is -ECANCELED.
 * If this scope expired and its cancellation was never delivered (the body
 * did not suspend again), the cancellation is withdrawn. Errors, the scope
 * staying open: -EPERM (not its owner), -EINVAL (not the innermost open
 * scope of the task: leave the inner ones first). Does not suspend. */
int weft_timeout_exit(weft_timeout *s, int body_rc);

/* asyncio.wait_for(task, timeout): awaits t (weft_await) inside a timeout
 * scope of ns nanoseconds. Returns t's outcome (0 with *result, its code),
 * or -ETIMEDOUT if the deadline passed: t was then cancelled and waited
 * for, as asyncio 3.11 does (if t caught the cancellation and returned a
 * result, that result is returned). -ECANCELED if the caller was
 * cancelled from outside (t is cancelled too). Errors: weft_await's and
 * weft_timeout_enter's. Suspends unless t has finished. */
int weft_wait_for(weft_task *t, int64_t ns, void **result);

/* ---- shield ------------------------------------------------------------ */

typedef struct weft_shield weft_shield;

/* Opens a shield scope: until its exit, the calling task's suspensions do
 * not deliver cancellations (weft_cancel, an expiring outer timeout scope,
 * a task group's abort); they stay pending and the first suspension after
 * the exit delivers them. A weft_cancel meanwhile is not forwarded to what
 * the task awaits. Timeout scopes opened inside a shield are shielded too:
 * their expiry is delivered after the shield ends (Trio would let them
 * act). Does not suspend. Errors: -EINVAL, -EPERM (outside a task),
 * -ENOMEM, -EOVERFLOW (65,535 shield scopes already open in the task: the
 * depth is counted in 16 bits). */
int weft_shield_enter(weft_shield **out);
/* Closes it (and frees it). Returns 0, or -EPERM (not its owner), -EINVAL
 * (not the innermost open scope): the scope then stays open. */
int weft_shield_exit(weft_shield *s);
/* The calling task, is it shielded now? */
bool weft_shielded(void);

/* await asyncio.shield(t): waits for t's outcome as weft_await does, but if
 * the caller is cancelled, it stops waiting and returns -ECANCELED at once
 * while t runs on, uncancelled (asyncio.shield). The handle stays valid and
 * can be awaited again. Errors: weft_await's. Cancellation-safe. */
int weft_await_shielded(weft_task *t, void **result);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SCOPE_H */
