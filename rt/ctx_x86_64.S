/*
 * rt/ctx_x86_64.S: the context switch for x86-64 System V.
 *
 * Only callee-saved state is kept: the caller of weft__ctx_switch has already
 * spilled everything else, as for any call. MXCSR and the x87 control word
 * are callee-saved by the ABI (rounding mode, exception masks). They are
 * pushed on the stack being left, and the context (struct weft__ctx in
 * rt/ctx.h) is only the stack pointer after the pushes, so a task object
 * carries 8 bytes for it, not 64. The frame, from the saved rsp up:
 *
 *   0 mxcsr | 4 x87 cw | 8 r15 | 16 r14 | 24 r13 | 32 r12 | 40 rbx | 48 rbp
 *   | 56 return address
 *
 * weft__ctx_resume is the switch's second half alone: the switch falls
 * through into it, and a finished entry goes through it (rt/ctx.h says why
 * that is a call from weft__ctx_start, not a switch from the entry's frame).
 *
 * A fresh context (weft__ctx_make, rt/ctx_make.c) is such a frame with
 * r12 = arg, r13 = entry and the return address weft__ctx_start, so the
 * first switch into it "returns" there (with pass in rax, as any switch):
 *
 *   stack top (16-byte aligned)
 *   | 0                    |  <- top - 8: a null return address ends unwinding
 *   | &weft__ctx_start     |  <- top - 16
 *   | the saved registers  |  <- top - 72: the saved rsp points here
 */
        .text
        .globl  weft__ctx_switch
        .type   weft__ctx_switch, @function
        .align  16
/* void *weft__ctx_switch(weft__ctx *from = rdi, weft__ctx *to = rsi,
 *                        void *pass = rdx): returns pass in rax, in the
 * context resumed (rsi and rdx are untouched by the save). */
weft__ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr 0(%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, 0(%rdi)
        /* falls through into weft__ctx_resume: to in rsi, pass in rdx */
        .cfi_endproc
        .size   weft__ctx_switch, .-weft__ctx_switch

        .type   weft__ctx_resume, @function
/* Resumes *to (rsi), whose weft__ctx_switch returns pass (rdx): the
 * registers weft__ctx_switch has them in. Does not return. Called only
 * from this file, so it needs no C prototype. */
weft__ctx_resume:
        .cfi_startproc
        movq    0(%rsi), %rsp
        ldmxcsr 0(%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        movq    %rdx, %rax
        ret
        .cfi_endproc
        .size   weft__ctx_resume, .-weft__ctx_resume

        .globl  weft__ctx_start
        .type   weft__ctx_start, @function
        .align  16
/* First instruction of every fresh context: entry(arg, pass), with pass
 * from rax (weft__ctx_switch); entry returns where to go in rax (to) and
 * rdx (pass), and goes there through a call, never to return. */
weft__ctx_start:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r12, %rdi
        movq    %rax, %rsi
        andq    $-16, %rsp
        call    *%r13
        movq    %rax, %rsi      /* pass is in rdx already */
        call    weft__ctx_resume
        ud2
        .cfi_endproc
        .size   weft__ctx_start, .-weft__ctx_start

        .section .note.GNU-stack,"",@progbits
