/*
 * tests/child.h: run a function in a forked child and capture what it
 * writes to stderr, for tests of failures that end the process (a guard
 * page hit, an ASan report, a misuse that aborts).
 */
#ifndef WEFT_TESTS_CHILD_H
#define WEFT_TESTS_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn() in a child with stderr captured into buf (NUL-terminated).
 * Returns the wait status. */
static inline int run_in_child(void (*fn)(void), char *buf, size_t len) {
  int fds[2];
  if (pipe(fds) != 0)
    abort();
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    fn();
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < len && (r = read(fds[0], buf + n, len - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = '\0';
  char sink[4096];
  while (read(fds[0], sink, sizeof sink) > 0) {
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

#endif /* WEFT_TESTS_CHILD_H */
