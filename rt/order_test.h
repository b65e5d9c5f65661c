/*
 * rt/order_test.h: scheduling perturbations for proving the conformance
 * suite (DESIGN 9, STYLE habit 9). Compiled in only with WEFT_TEST_ORDER
 * (the tests/order build of the library); the normal library has none of it.
 * The environment variable WEFT_TEST_ORDER picks the perturbation:
 *   "random:SEED"  each batch runs in a shuffled order;
 *   "lifo"         a Tokio-style LIFO slot: the task made ready last runs
 *                  right after the current one, ahead of the queue.
 * Each breaks asyncio's order in a different way; the conformance cases that
 * pin the order must then print something else.
 */
#ifndef WEFT_RT_ORDER_TEST_H
#define WEFT_RT_ORDER_TEST_H

#include <stdbool.h>
#include <stddef.h>

struct weft__worker;
struct weft_task;

#if defined(WEFT_TEST_ORDER)
/* Reads the environment once per worker. */
void weft__order_init(struct weft__worker *w);
/* LIFO mode: takes t into the slot (the previous occupant goes to the back
 * of the queue) and returns true. */
bool weft__order_push(struct weft__worker *w, struct weft_task *t);
/* Random mode: shuffles the next n ready tasks. */
void weft__order_batch(struct weft__worker *w, size_t n);
/* LIFO mode: the task in the slot, taken out, or NULL. */
struct weft_task *weft__order_take(struct weft__worker *w);
#else
#define weft__order_init(w) ((void)(w))
#define weft__order_push(w, t) ((void)(w), (void)(t), false)
#define weft__order_batch(w, n) ((void)(w), (void)(n))
#define weft__order_take(w) ((void)(w), (struct weft_task *)0)
#endif

#endif /* WEFT_RT_ORDER_TEST_H */
