/* Mirrors sync_timeouts.py: an expired scope cancels its body and only its
 * own exit reports the timeout; nested scopes; a moved deadline. */
#include <errno.h>

#include "conformance.h"

#define MS 1000000LL

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_timeout *s, *in;
  CHECK(weft_timeout_enter(&s, 20 * MS));
  if (weft_timeout_exit(s, weft_sleep_ms(1000)) == -ETIMEDOUT)
    printf("timed out\n");

  CHECK(weft_timeout_enter(&s, 1000 * MS));
  CHECK(weft_timeout_enter(&in, 20 * MS));
  int rc = weft_timeout_exit(in, weft_sleep_ms(1000));
  if (rc == -ETIMEDOUT)
    printf("inner timed out\n");
  rc = weft_sleep_ms(10);
  if (rc == 0)
    printf("outer body goes on\n");
  if (weft_timeout_exit(s, rc) == -ETIMEDOUT)
    printf("outer timed out (wrong)\n");

  CHECK(weft_timeout_enter(&s, 20 * MS));
  CHECK(weft_timeout_enter(&in, 1000 * MS));
  rc = weft_timeout_exit(in, weft_sleep_ms(1000));
  if (rc == -ECANCELED)
    printf("inner scope passes the cancellation on\n");
  if (weft_timeout_exit(s, rc) == -ETIMEDOUT)
    printf("outer timed out\n");

  CHECK(weft_timeout_enter(&s, 1000 * MS));
  CHECK(weft_timeout_reschedule(s, weft_now_ns() + 20 * MS));
  rc = weft_sleep_ms(1000);
  bool expired = weft_timeout_expired(s);
  if (weft_timeout_exit(s, rc) == -ETIMEDOUT)
    printf("rescheduled scope timed out\n");
  printf("expired: %s\n", PYBOOL(expired));

  CHECK(weft_timeout_enter_at(&s, -1));
  CHECK(weft_sleep_ms(10));
  int64_t when = weft_timeout_when(s);
  CHECK(weft_timeout_exit(s, 0));
  if (when == -1)
    printf("no deadline: None\n");
  return 0;
}

int main(void) { return conformance_run(main_task); }
