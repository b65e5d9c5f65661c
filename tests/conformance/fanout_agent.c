/* Mirrors fanout_agent.py: seed 004's AI agent with its delays scaled to
 * 1/10 (fetches of 80, 50 and 30 ms, an LLM call of 150 ms), awaited one
 * after another, then with the fetches fanned out by weft_gather(). The
 * "coroutines" are plain functions; gather's tasks wrap them. */
#include "conformance.h"

#define MS 1000000LL

static void fetch_vector_context(const char *query, int delay, char *out,
                                 size_t n) {
  CHECK(weft_sleep_ms(delay));
  printf("fetched vector context\n");
  snprintf(out, n, "context: top docs for '%s'", query);
}

static void fetch_user_history(const char *user_id, int delay, char *out,
                               size_t n) {
  CHECK(weft_sleep_ms(delay));
  printf("fetched user history\n");
  snprintf(out, n, "history: last 5 queries for user %s", user_id);
}

static void fetch_user_preferences(const char *user_id, int delay, char *out,
                                   size_t n) {
  CHECK(weft_sleep_ms(delay));
  printf("fetched user preferences\n");
  snprintf(out, n, "preferences: for user %s", user_id);
}

static void call_llm(const char *prompt, char *out, size_t n) {
  CHECK(weft_sleep_ms(150));
  snprintf(out, n, "LLM response to: %s", prompt);
}

static void handle_query_sequential(const char *user_id, const char *query,
                                    char *response, size_t n) {
  char vector_context[128], user_history[128], user_preferences[128];
  char prompt[512];
  fetch_vector_context(query, 80, vector_context, sizeof vector_context);
  fetch_user_history(user_id, 50, user_history, sizeof user_history);
  fetch_user_preferences(user_id, 30, user_preferences,
                         sizeof user_preferences);
  snprintf(prompt, sizeof prompt, "%s\n%s\n%s\n%s", query, vector_context,
           user_history, user_preferences);
  call_llm(prompt, response, n);
}

/* asyncio.gather(coro, ...) wraps each coroutine in a task: these tasks. */
struct fetch {
  const char *key;
  int delay;
  char out[128];
};

#define FETCH_TASK(fetch_fn)                                                   \
  static int fetch_fn##_task(void *arg, void **result) {                       \
    struct fetch *f = arg;                                                     \
    fetch_fn(f->key, f->delay, f->out, sizeof f->out);                         \
    *result = f->out;                                                          \
    return 0;                                                                  \
  }
FETCH_TASK(fetch_vector_context)
FETCH_TASK(fetch_user_history)
FETCH_TASK(fetch_user_preferences)

static void handle_query(const char *user_id, const char *query, char *response,
                         size_t n) {
  struct fetch fetches[] = {
      {query, 80, ""}, {user_id, 50, ""}, {user_id, 30, ""}};
  weft_fn fns[] = {fetch_vector_context_task, fetch_user_history_task,
                   fetch_user_preferences_task};
  weft_task *tasks[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&tasks[i], fns[i], &fetches[i]));
  void *ctx[3]; /* vector_context, user_history, user_preferences */
  CHECK(weft_gather(tasks, 3, ctx, NULL, 0));
  for (int i = 0; i < 3; i++)
    weft_detach(tasks[i]);
  char prompt[512];
  snprintf(prompt, sizeof prompt, "%s\n%s\n%s\n%s", query, (char *)ctx[0],
           (char *)ctx[1], (char *)ctx[2]);
  call_llm(prompt, response, n);
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  char response[1024];
  printf("-- sequential\n");
  int64_t start = weft_now_ns();
  handle_query_sequential("user-42", "how do I profile async Python?", response,
                          sizeof response);
  int64_t sequential = weft_now_ns() - start;
  printf("%s\n", response);
  printf("took at least the sum of the delays: %s\n",
         PYBOOL(sequential >= 310 * MS));
  printf("-- concurrent\n");
  start = weft_now_ns();
  handle_query("user-42", "how do I profile async Python?", response,
               sizeof response);
  int64_t concurrent = weft_now_ns() - start;
  printf("%s\n", response);
  printf("took at least the slowest fetch plus the llm: %s\n",
         PYBOOL(concurrent >= 230 * MS));
  printf("took less than the sum of the delays: %s\n",
         PYBOOL(concurrent < 310 * MS));
  printf("faster than sequential: %s\n", PYBOOL(concurrent < sequential));
  return 0;
}

int main(void) { return conformance_run(main_task); }
