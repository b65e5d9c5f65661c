/*
 * rt/current.h: the only thread-locals in weft, behind accessors that cannot
 * be inlined (DESIGN 4.3). A task may resume on another thread after any
 * suspension point, and a compiler that cached a thread-local's address
 * across a switch would read another thread's variable; calls through a
 * non-inlined, non-IPA function in its own translation unit are re-done each
 * time.
 */
#ifndef WEFT_RT_CURRENT_H
#define WEFT_RT_CURRENT_H

struct weft__worker;

/* The worker running on this thread, or NULL. */
struct weft__worker *weft__worker_current(void);
void weft__worker_set_current(struct weft__worker *w);

#endif /* WEFT_RT_CURRENT_H */
