/*
 * rt/fiber.h: sanitizer annotations around every context switch (DESIGN
 * 4.1), so ASan knows which stack is live (and frees a dead task's fake
 * stack) and TSan keeps one shadow state per task. Empty in normal builds.
 */
#ifndef WEFT_RT_FIBER_H
#define WEFT_RT_FIBER_H

#include "rt/common.h"

#if defined(WEFT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(WEFT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#endif /* WEFT_RT_FIBER_H */
