/* rt/ctx_make.c: preparing a fresh context for the assembly switch. */
#include "rt/ctx.h"

#include <string.h>

#if !defined(WEFT_CTX_UCONTEXT)

void weft__ctx_start(void);

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size,
                    weft__ctx_entry_fn entry, void *arg) {
  uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
  void **sp = (void **)top;
  sp[-1] = NULL;                    /* top - 8: ends unwinding */
  sp[-2] = (void *)weft__ctx_start; /* top - 16: first `ret` lands here */
  sp[-3] = NULL;                    /* rbp */
  sp[-4] = NULL;                    /* rbx */
  sp[-5] = arg;                     /* r12 */
  sp[-6] = (void *)entry;           /* r13 */
  sp[-7] = NULL;                    /* r14 */
  sp[-8] = NULL;                    /* r15 */
  /* The ABI's defaults: all exceptions masked, round to nearest. */
  uint32_t fp[2] = {0x1F80, 0x037F}; /* mxcsr, then the x87 control word */
  memcpy(&sp[-9], fp, sizeof fp);
  ctx->rsp = &sp[-9];
}

#endif
