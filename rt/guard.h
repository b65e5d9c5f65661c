/*
 * rt/guard.h: catching a task that overran its stack.
 *
 * A write into a stack's guard page faults. Each worker thread has its own
 * alternate signal stack (the faulting stack is unusable), and one SIGSEGV
 * and SIGBUS handler (SA_ONSTACK) looks the address up in the stack slabs:
 * a guard hit is reported in words (which task, spawned where, how big its
 * stack is) and the process aborts. Any other fault is handed to the handler
 * that was installed before ours, or to the default action.
 */
#ifndef WEFT_RT_GUARD_H
#define WEFT_RT_GUARD_H

/* Installs the process-wide handler (once). Returns 0 or -errno. */
int weft__guard_install(void);
/* Gives the calling thread an alternate signal stack; undo with
 * weft__guard_thread_fini. Returns 0 or -errno. */
int weft__guard_thread_init(void **altstack);
void weft__guard_thread_fini(void *altstack);

#endif /* WEFT_RT_GUARD_H */
