/*
 * rt/ctx_x86_64.S: the context switch for x86-64 System V.
 *
 * Save area (struct weft__ctx in rt/ctx.h, tied by static asserts):
 *   0 rsp | 8 rbp | 16 rbx | 24 r12 | 32 r13 | 40 r14 | 48 r15 | 56 mxcsr | 60 x87 cw
 * Only callee-saved state is kept: the caller of weft__ctx_switch has already
 * spilled everything else, as for any call. MXCSR and the x87 control word
 * are callee-saved by the ABI (rounding mode, exception masks).
 *
 * A fresh context (weft__ctx_make) has r12 = arg, r13 = entry and a stack
 * whose top holds the address of weft__ctx_start, so the first switch into
 * it "returns" there:
 *
 *   stack top (16-byte aligned)
 *   | 0                    |  <- top - 8: a null return address ends unwinding
 *   | &weft__ctx_start     |  <- top - 16: saved rsp points here
 */
        .text
        .globl  weft__ctx_switch
        .type   weft__ctx_switch, @function
        .align  16
/* void weft__ctx_switch(weft__ctx *from = rdi, weft__ctx *to = rsi) */
weft__ctx_switch:
        .cfi_startproc
        movq    %rsp, 0(%rdi)
        movq    %rbp, 8(%rdi)
        movq    %rbx, 16(%rdi)
        movq    %r12, 24(%rdi)
        movq    %r13, 32(%rdi)
        movq    %r14, 40(%rdi)
        movq    %r15, 48(%rdi)
        stmxcsr 56(%rdi)
        fnstcw  60(%rdi)

        movq    0(%rsi), %rsp
        movq    8(%rsi), %rbp
        movq    16(%rsi), %rbx
        movq    24(%rsi), %r12
        movq    32(%rsi), %r13
        movq    40(%rsi), %r14
        movq    48(%rsi), %r15
        ldmxcsr 56(%rsi)
        fldcw   60(%rsi)
        ret
        .cfi_endproc
        .size   weft__ctx_switch, .-weft__ctx_switch

        .globl  weft__ctx_start
        .type   weft__ctx_start, @function
        .align  16
/* First instruction of every fresh context: entry(arg), which must not return. */
weft__ctx_start:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r12, %rdi
        andq    $-16, %rsp
        call    *%r13
        /* entry returned: a task fell off its entry frame. */
        call    weft__ctx_entry_returned
        ud2
        .cfi_endproc
        .size   weft__ctx_start, .-weft__ctx_start

        .section .note.GNU-stack,"",@progbits
