/* Mirrors await_chain.py: a chain of tasks, each awaiting the one before;
 * each link resumes one round after the previous ends, so a ticker's ticks
 * fall between them. */
#include "conformance.h"

static int ticker(void *arg, void **result) {
  (void)result;
  int n = RESULT_INT(arg);
  for (int i = 0; i < n; i++) {
    printf("tick %d\n", i);
    CHECK(weft_yield());
  }
  return 0;
}

struct link {
  int i;
  weft_task *prev;
};

static int link_task(void *arg, void **result) {
  (void)result;
  struct link *l = arg;
  if (l->prev == NULL)
    CHECK(weft_yield());
  else
    CHECK(weft_await(l->prev, NULL));
  printf("link %d done\n", l->i);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tk;
  CHECK(weft_spawn(&tk, ticker, INT_RESULT(7)));
  struct link links[4];
  weft_task *chain[4];
  weft_task *prev = NULL;
  for (int i = 0; i < 4; i++) {
    links[i] = (struct link){i, prev};
    CHECK(weft_spawn(&chain[i], link_task, &links[i]));
    prev = chain[i];
  }
  CHECK(weft_await(prev, NULL));
  printf("main: chain done\n");
  CHECK(weft_await(tk, NULL));
  weft_detach(tk);
  for (int i = 0; i < 4; i++)
    weft_detach(chain[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
