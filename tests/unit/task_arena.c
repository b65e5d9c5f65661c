/* rt/alloc.c's task arena: task objects come from an arena of their own
 * whose memory is advised MADV_HUGEPAGE ("hg" in the mapping's VmFlags)
 * wherever the kernel has transparent huge pages; objects allocated on
 * one thread and freed on another are reused sanely. Sanitizer builds use
 * malloc (no arena: -1). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "rt/alloc.h"

enum { N = 20000, SIZE = 272 };
static void *objs[N];

/* True if the mapping holding p has the flag `flag` in /proc/self/smaps. */
static bool vm_flag(const void *p, const char *flag) {
  FILE *f = fopen("/proc/self/smaps", "r");
  CHECK(f);
  char line[512];
  bool in = false, found = false;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') &&
        line[0] != 'V') {
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
      continue;
    }
    if (in && strncmp(line, "VmFlags:", 8) == 0) {
      char needle[8];
      snprintf(needle, sizeof needle, " %s", flag);
      found = strstr(line, needle) != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

static bool thp_available(void) {
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f)
    return false;
  char buf[128] = {0};
  bool ok = fgets(buf, sizeof buf, f) && !strstr(buf, "[never]");
  fclose(f);
  return ok;
}

static void *free_half(void *arg) {
  (void)arg;
  for (int i = 0; i < N; i += 2)
    weft__free_task(objs[i], SIZE);
  return NULL;
}

int main(void) {
  for (int i = 0; i < N; i++) {
    objs[i] = weft__alloc_task(SIZE);
    CHECK(objs[i]);
    memset(objs[i], i & 0xff, SIZE);
  }
  for (int i = 0; i < N; i++)
    CHECK_EQ(((unsigned char *)objs[i])[SIZE - 1], i & 0xff);
#if !defined(WEFT_SANITIZER)
  CHECK(weft__task_arena() >= 0);
#else
  CHECK_EQ(weft__task_arena(), -1);
#endif
  if (weft__task_arena() >= 0 && thp_available())
    for (int i = 0; i < N; i += 997)
      CHECK(vm_flag(objs[i], "hg"));
  /* Half freed on another thread, then reallocated and freed here. */
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, free_half, NULL), 0);
  CHECK_EQ(pthread_join(th, NULL), 0);
  for (int i = 0; i < N; i += 2) {
    objs[i] = weft__alloc_task(SIZE);
    CHECK(objs[i]);
    memset(objs[i], 0x5a, SIZE);
  }
  for (int i = 1; i < N; i += 2)
    CHECK_EQ(((unsigned char *)objs[i])[0], i & 0xff); /* untouched */
  for (int i = 0; i < N; i++)
    weft__free_task(objs[i], SIZE);
  fprintf(stderr, "task_arena: all passed (arena %d, THP %s)\n",
          weft__task_arena(), thp_available() ? "on" : "off");
  return 0;
}
