/*
 * rt/debug.h: debug mode (weft_config.debug, asyncio's debug=True): the
 * reports of slow tasks, of tasks still pending at shutdown, and of stack
 * high-water marks. Every hook is behind a test of the worker's debug flag,
 * so a runtime without debug mode pays one predictable branch.
 */
#ifndef WEFT_RT_DEBUG_H
#define WEFT_RT_DEBUG_H

#include "rt/worker.h"

/* A task is switched in: start timing its slice. */
void weft__debug_slice_begin(weft__worker *w);
/* t switched out: report it if the slice ran past the threshold. */
void weft__debug_slice_end(weft__worker *w, const weft_task *t);
/* t is starting on a fresh stack: fill the stack with the pattern. */
void weft__debug_stack_fill(const weft_task *t);
/* t finished: report its stack high-water mark if it is high. */
void weft__debug_stack_check(const weft_task *t);
/* Shutdown cancels t, which was still pending. */
void weft__debug_pending(const weft_task *t);

#endif /* WEFT_RT_DEBUG_H */
