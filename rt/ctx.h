/*
 * rt/ctx.h: saved execution contexts and the switch between them.
 *
 * A context is what a suspended task (or a worker's scheduler loop) needs to
 * resume: its callee-saved registers and stack pointer. weft__ctx_switch(from,
 * to) saves the running context into *from and resumes *to; it returns in
 * *from's code when someone later switches back to it. weft__ctx_make prepares
 * a fresh context that calls entry(arg, pass) on the given stack; entry
 * leaves by returning where to go next (weft__ctx_exit): the context to
 * resume and what to hand it. The context that ran entry is never resumed.
 *
 * Why an entry returns instead of switching away from where it stands: the
 * CPU predicts each `ret` from a small stack of the return addresses of the
 * calls it has seen (the return stack buffer), and a switch leaves behind
 * the calls of the context left. A task that finishes wakes its awaiter,
 * whose every return up its own call chain would pop the finished task's
 * entries instead of its own, and be mispredicted: measured here, each
 * level of the awaiter's chain cost 8-12 ns. Returning first pops the
 * finished task's frames off the buffer (predicted: they are its own), and
 * the final jump is one `call` whose `ret` lands in the resumed context:
 * one misprediction, after which the buffer holds the resumed context's
 * own return addresses again, those it pushed before it switched out.
 *
 * x86-64 SysV (rt/ctx_x86_64.S) pushes the callee-saved registers, MXCSR
 * and the x87 control word on the stack it leaves, and the context is the
 * stack pointer after the pushes (the frame is drawn in the assembly).
 * Elsewhere (WEFT_CTX_UCONTEXT) the context is a ucontext_t and the switch is
 * swapcontext, which also saves the signal mask: slower, but portable.
 */
#ifndef WEFT_RT_CTX_H
#define WEFT_RT_CTX_H

#include <stddef.h>
#include <stdint.h>

#if defined(WEFT_CTX_UCONTEXT)
#include <ucontext.h>
typedef struct weft__ctx {
  ucontext_t uc;
} weft__ctx;
#else
typedef struct weft__ctx {
  void *rsp; /* the suspended stack's top: its saved registers */
} weft__ctx;
_Static_assert(offsetof(weft__ctx, rsp) == 0, "ctx layout: rsp");
#endif

/* Where a finished entry goes: resumes *to, whose weft__ctx_switch returns
 * pass. Returned in two registers (rax, rdx) on x86-64. */
typedef struct weft__ctx_exit {
  struct weft__ctx *to;
  void *pass;
} weft__ctx_exit;

/* pass: what the first switch into the context handed over (below). */
typedef weft__ctx_exit (*weft__ctx_entry_fn)(void *arg, void *pass);

/* Prepares *ctx to run entry(arg, pass) on [stack_lo, stack_lo + size) when
 * first switched to. */
void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size,
                    weft__ctx_entry_fn entry, void *arg);

/* Saves the current context in *from and resumes *to, handing it pass:
 * *to's own weft__ctx_switch returns pass (a fresh context's entry gets it
 * as its second argument). Returns the pass of the switch that later
 * resumes *from. The scheduler hands over the resuming thread's worker, so
 * a task that may have migrated learns it from the switch itself, with no
 * thread-local lookup (DESIGN 4.3: the value comes from the thread now
 * running it, in a register, never from a cached thread-local address). */
void *weft__ctx_switch(weft__ctx *from, weft__ctx *to, void *pass);

#endif /* WEFT_RT_CTX_H */
