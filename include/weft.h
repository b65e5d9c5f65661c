/*
 * weft.h: the umbrella header. Include this one; it pulls in every part of
 * the public API. Public headers include only libc and each other.
 */
#ifndef WEFT_H
#define WEFT_H

#include "weft/exec.h"
#include "weft/fs.h"
#include "weft/io.h"
#include "weft/rt.h"
#include "weft/scope.h"
#include "weft/stats.h"
#include "weft/sync.h"

#endif /* WEFT_H */
