/* io/spawn.h: the attributes every child weft starts gets (subprocesses,
 * io/process.c, and the process pool's zygote, io/procpool.c): an empty
 * signal mask and every signal at its default disposition, whatever the
 * parent blocked or ignored. */
#ifndef WEFT_IO_SPAWN_H
#define WEFT_IO_SPAWN_H

#include <spawn.h>

/* Sets those on an initialised attribute object. Returns 0 or a negative
 * errno code. Defined in io/process.c. */
int weft__spawn_attr_clean(posix_spawnattr_t *at);

#endif /* WEFT_IO_SPAWN_H */
