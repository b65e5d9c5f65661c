/*
 * rt/runq.h: a worker's ready queue: an intrusive FIFO of tasks linked by
 * task->next. Owner worker only. Unbounded, so asyncio's order holds for any
 * number of ready tasks.
 */
#ifndef WEFT_RT_RUNQ_H
#define WEFT_RT_RUNQ_H

#include <stddef.h>

#include "rt/task.h"

typedef struct weft__runq {
  weft_task *head, *tail;
  size_t len;
} weft__runq;

static inline void weft__runq_init(weft__runq *q) {
  q->head = q->tail = NULL;
  q->len = 0;
}

static inline void weft__runq_push(weft__runq *q, weft_task *t) {
  t->next = NULL;
  if (q->tail)
    q->tail->next = t;
  else
    q->head = t;
  q->tail = t;
  q->len++;
}

static inline weft_task *weft__runq_pop(weft__runq *q) {
  weft_task *t = q->head;
  if (t) {
    q->head = t->next;
    if (!q->head)
      q->tail = NULL;
    q->len--;
  }
  return t;
}

/* Appends all of src to q, leaving src empty. */
static inline void weft__runq_append(weft__runq *q, weft__runq *src) {
  if (!src->head)
    return;
  if (q->tail)
    q->tail->next = src->head;
  else
    q->head = src->head;
  q->tail = src->tail;
  q->len += src->len;
  weft__runq_init(src);
}

#endif /* WEFT_RT_RUNQ_H */
