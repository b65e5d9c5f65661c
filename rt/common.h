/*
 * rt/common.h: asserts, container_of, branch hints and cache-line padding,
 * shared by every internal file.
 */
#ifndef WEFT_RT_COMMON_H
#define WEFT_RT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define WEFT_CACHELINE 64
#define WEFT_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT_NOINLINE __attribute__((noinline, noipa))
#define WEFT_NORETURN __attribute__((noreturn))
#define WEFT_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define weft__container_of(ptr, type, member)                                  \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A broken invariant is not an error: it aborts with file:line and a message.
 * Used also for misuse that leaves no way to return an error. */
WEFT_NORETURN WEFT_PRINTF(3, 4) void weft__panic(const char *file, int line,
                                                 const char *fmt, ...);
#define WEFT_PANIC(...) weft__panic(__FILE__, __LINE__, __VA_ARGS__)
#define WEFT_ASSERT(cond)                                                      \
  do {                                                                         \
    if (WEFT_UNLIKELY(!(cond)))                                                \
      weft__panic(__FILE__, __LINE__, "assertion failed: %s", #cond);          \
  } while (0)
/* An assert on a hot path, for an invariant a caller must keep: checked in
 * the sanitizer and stress builds (CI runs every suite in them) and in any
 * build without NDEBUG; compiled out of the optimized builds. */
#if defined(WEFT_SANITIZER) || defined(WEFT_SCHED_RANDOM) || !defined(NDEBUG)
#define WEFT_DEBUG_ASSERT(cond) WEFT_ASSERT(cond)
#else
#define WEFT_DEBUG_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#endif /* WEFT_RT_COMMON_H */
