/* rt/ctx_make.c: preparing a fresh context for the assembly switch. */
#include "rt/ctx.h"

#include "rt/common.h"

#if !defined(WEFT_CTX_UCONTEXT)

void weft__ctx_start(void);
WEFT_NORETURN void weft__ctx_entry_returned(void);

void weft__ctx_entry_returned(void) {
  WEFT_PANIC("a task's entry function returned through its first frame");
}

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size,
                    weft__ctx_entry_fn entry, void *arg) {
  uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
  void **sp = (void **)top;
  sp[-1] = NULL;                    /* top - 8: ends unwinding */
  sp[-2] = (void *)weft__ctx_start; /* top - 16: first `ret` lands here */
  *ctx = (weft__ctx){0};
  ctx->rsp = &sp[-2];
  ctx->r12 = arg;
  ctx->r13 = (void *)entry;
  /* The ABI's defaults: all exceptions masked, round to nearest. */
  ctx->mxcsr = 0x1F80;
  ctx->fpucw = 0x037F;
}

#endif
