/*
 * rt/ctx_ucontext.c: the portable context switch, for architectures without
 * assembly here (and forced on x86-64 with -DWEFT_CTX=ucontext so it is
 * tested). makecontext passes only int arguments, so the pointer travels in
 * two halves.
 */
#include "rt/ctx.h"

#include "rt/common.h"

#if defined(WEFT_CTX_UCONTEXT)

/* What the last switch on this thread handed over (weft__ctx_switch's
 * pass): set just before swapcontext and read just after it by the
 * context resumed, on the same thread. Behind accessors that cannot be
 * inlined, since a resumed context may be on another thread than the one
 * it left (DESIGN 4.3). */
static _Thread_local void *passed;

WEFT_NOINLINE static void pass_set(void *p) { passed = p; }
WEFT_NOINLINE static void *pass_get(void) { return passed; }

static void trampoline(unsigned hi, unsigned lo, unsigned ehi, unsigned elo) {
  void *arg = (void *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
  weft__ctx_entry_fn entry =
      (weft__ctx_entry_fn)(((uintptr_t)ehi << 32) | (uintptr_t)elo);
  weft__ctx_exit next = entry(arg, pass_get());
  pass_set(next.pass);
  setcontext(&next.to->uc);
  WEFT_PANIC("setcontext failed");
}

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size,
                    weft__ctx_entry_fn entry, void *arg) {
  if (getcontext(&ctx->uc) != 0)
    WEFT_PANIC("getcontext failed");
  ctx->uc.uc_stack.ss_sp = stack_lo;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = NULL;
  uintptr_t a = (uintptr_t)arg;
  uintptr_t e = (uintptr_t)entry;
  makecontext(&ctx->uc, (void (*)(void))trampoline, 4, (unsigned)(a >> 32),
              (unsigned)a, (unsigned)(e >> 32), (unsigned)e);
}

void *weft__ctx_switch(weft__ctx *from, weft__ctx *to, void *pass) {
  pass_set(pass);
  if (swapcontext(&from->uc, &to->uc) != 0)
    WEFT_PANIC("swapcontext failed");
  return pass_get();
}

#endif
