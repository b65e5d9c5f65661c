/*
 * fanout: fan-out/fan-in, where async pays off.
 *
 * The weft side of the AI-agent example in "Python async, explained"
 * (tests/conformance/fanout_agent.py is the line-for-line pair): before
 * calling an LLM, an agent fetches three independent pieces of context.
 *
 *   async def handle_query(user_id, query):
 *       vector_context, user_history, user_preferences = await gather(
 *           fetch_vector_context(query, 0.8),
 *           fetch_user_history(user_id, 0.5),
 *           fetch_user_preferences(user_id, 0.3))
 *       prompt = f"{query}\n{vector_context}\n{user_history}\n..."
 *       return await call_llm(prompt)          # 1.5 s
 *
 * With the delays scaled to 1/10, awaiting the fetches one after another
 * takes 80 + 50 + 30 + 150 = 310 ms; fanning them out with weft_gather()
 * takes the slowest fetch plus the LLM call, 80 + 150 = 230 ms. The program
 * runs both, logs when each step ends, and prints the two times and the
 * speed-up. A "coroutine" (async def) is a plain C function called from a
 * task; gather takes tasks, so the concurrent version spawns one per fetch.
 */
#include <weft.h>

#include <stdint.h>
#include <stdio.h>

static int64_t phase_start; /* weft_now_ns() when the current phase began */

static void log_step(const char *what) {
  printf("  [%4lld ms] %s\n",
         (long long)((weft_now_ns() - phase_start) / 1000000), what);
}

/* The three fetches and the LLM call: sleeps stand in for network calls. */
static int fetch_vector_context(const char *query, int delay_ms, char *out,
                                size_t n) {
  int rc = weft_sleep_ms(delay_ms);
  if (rc < 0) {
    return rc;
  }
  log_step("fetched vector context");
  snprintf(out, n, "context: top docs for '%s'", query);
  return 0;
}

static int fetch_user_history(const char *user_id, int delay_ms, char *out,
                              size_t n) {
  int rc = weft_sleep_ms(delay_ms);
  if (rc < 0) {
    return rc;
  }
  log_step("fetched user history");
  snprintf(out, n, "history: last 5 queries for user %s", user_id);
  return 0;
}

static int fetch_user_preferences(const char *user_id, int delay_ms, char *out,
                                  size_t n) {
  int rc = weft_sleep_ms(delay_ms);
  if (rc < 0) {
    return rc;
  }
  log_step("fetched user preferences");
  snprintf(out, n, "preferences: for user %s", user_id);
  return 0;
}

static int call_llm(const char *prompt, char *out, size_t n) {
  int rc = weft_sleep_ms(150);
  if (rc < 0) {
    return rc;
  }
  log_step("LLM answered");
  snprintf(out, n, "LLM response to: %s", prompt);
  return 0;
}

/* Sequential: each fetch awaited before the next starts. */
static int handle_query_sequential(const char *user_id, const char *query,
                                   char *response, size_t n) {
  char vector_context[128];
  char user_history[128];
  char user_preferences[128];
  char prompt[512];
  int rc =
      fetch_vector_context(query, 80, vector_context, sizeof vector_context);
  if (rc == 0) {
    rc = fetch_user_history(user_id, 50, user_history, sizeof user_history);
  }
  if (rc == 0) {
    rc = fetch_user_preferences(user_id, 30, user_preferences,
                                sizeof user_preferences);
  }
  if (rc < 0) {
    return rc;
  }
  snprintf(prompt, sizeof prompt, "%s\n%s\n%s\n%s", query, vector_context,
           user_history, user_preferences);
  return call_llm(prompt, response, n);
}

/* Concurrent: one task per fetch (asyncio.gather wraps each coroutine in a
 * task the same way), then weft_gather() for all three. */
typedef int (*fetch_fn)(const char *key, int delay_ms, char *out, size_t n);

struct fetch {
  fetch_fn fn;
  const char *key;
  int delay_ms;
  char out[128];
};

static int fetch_task(void *arg, void **result) {
  struct fetch *f = arg;
  *result = f->out;
  return f->fn(f->key, f->delay_ms, f->out, sizeof f->out);
}

static int handle_query(const char *user_id, const char *query, char *response,
                        size_t n) {
  struct fetch fetches[] = {
      {fetch_vector_context, query, 80, ""},
      {fetch_user_history, user_id, 50, ""},
      {fetch_user_preferences, user_id, 30, ""},
  };
  weft_task *tasks[3];
  int rc = 0;
  int spawned = 0;
  while (spawned < 3 && rc == 0) {
    rc = weft_spawn(&tasks[spawned], fetch_task, &fetches[spawned]);
    spawned += rc == 0;
  }
  void *ctx[3] = {0}; /* vector_context, user_history, user_preferences */
  int grc = weft_gather(tasks, (size_t)spawned, ctx, NULL, 0);
  /* The tasks write into fetches[], which must outlive them: await each one
   * (no wait for a finished task) before returning, even after an error. */
  for (int i = 0; i < spawned; i++) {
    int arc = weft_await(tasks[i], NULL);
    weft_detach(tasks[i]);
    if (rc == 0) {
      rc = grc < 0 ? grc : arc;
    }
  }
  if (rc < 0) {
    return rc;
  }
  char prompt[512];
  snprintf(prompt, sizeof prompt, "%s\n%s\n%s\n%s", query, (char *)ctx[0],
           (char *)ctx[1], (char *)ctx[2]);
  return call_llm(prompt, response, n);
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  const char *user_id = "user-42";
  const char *query = "how do I profile async Python?";
  char response[1024];

  printf("sequential: each fetch awaited in turn\n");
  phase_start = weft_now_ns();
  int rc = handle_query_sequential(user_id, query, response, sizeof response);
  int64_t sequential = weft_now_ns() - phase_start;
  if (rc < 0) {
    return rc;
  }

  printf("concurrent: the fetches fanned out with weft_gather()\n");
  phase_start = weft_now_ns();
  rc = handle_query(user_id, query, response, sizeof response);
  int64_t concurrent = weft_now_ns() - phase_start;
  if (rc < 0) {
    return rc;
  }

  printf("\n%s\n\n", response);
  printf("sequential: %lld ms (80 + 50 + 30 + 150 = 310 ms of waiting)\n",
         (long long)(sequential / 1000000));
  printf("concurrent: %lld ms (slowest fetch + LLM = 80 + 150 = 230 ms)\n",
         (long long)(concurrent / 1000000));
  printf("speed-up:   %.2fx\n", (double)sequential / (double)concurrent);
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  int rc = weft_run(&cfg, main_task, NULL, NULL);
  if (rc < 0) {
    fprintf(stderr, "fanout: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
