/*
 * io/zygote.c: the process pool's other side: the job registry, the
 * zygote, and the worker loop (DESIGN 6).
 *
 * The zygote is the program itself, started again from /proc/self/exe by
 * io/procpool.c with WEFT_ZYGOTE_FD (its control socket, fd 3) and
 * WEFT_ZYGOTE_PPID in the environment. WEFT_JOB's constructors register the
 * jobs first (priority 101), then the first diverting constructor sees the
 * marker and runs zygote_main, which never returns: main() does not run.
 * The zygote is single-threaded, so fork() is safe in it.
 *
 * Zygote: PR_SET_PDEATHSIG(SIGKILL), then checks that its parent is still
 * the one that started it (else that parent died before the prctl), and
 * ignores SIGCHLD so the kernel reaps its workers (no zombies). Loop: a
 * spawn request carries the worker's end of a new socketpair (SCM_RIGHTS);
 * it forks; the reply carries the child's pid. End of file on the control
 * socket (the parent closed it or died): exit.
 *
 * Worker: PR_SET_PDEATHSIG(SIGKILL) (the zygote's death ends it), checks
 * its parent, restores SIGCHLD's default, then serves requests one at a
 * time: look the job up, run it, reply with its code and output. End of
 * file: exit.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "io/ppmsg.h"
#include "weft/exec.h"

#define MAX_JOBS 256

static struct {
  char name[WEFT__PP_NAME];
  weft_job_fn fn;
} jobs[MAX_JOBS];
static int njobs; /* written by constructors, before any thread */

int weft_job_register(const char *name, weft_job_fn fn) {
  if (!name || !fn || !*name || strlen(name) >= WEFT__PP_NAME)
    return -EINVAL;
  for (int i = 0; i < njobs; i++)
    if (strcmp(jobs[i].name, name) == 0)
      return -EEXIST;
  if (njobs == MAX_JOBS)
    return -ENOMEM;
  memcpy(jobs[njobs].name, name, strlen(name) + 1); /* fits: checked */
  jobs[njobs].fn = fn;
  njobs++;
  return 0;
}

int weft__job_known(const char *name);

static weft_job_fn job_find(const char *name) {
  for (int i = 0; i < njobs; i++)
    if (strncmp(jobs[i].name, name, WEFT__PP_NAME) == 0)
      return jobs[i].fn;
  return NULL;
}

static void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(0);
}

static void worker_main(int sock) {
  for (;;) {
    weft__pp_hdr h;
    void *in = NULL;
    /* Blocking: its end of the socketpair was made without O_NONBLOCK, so
     * no -EAGAIN; the parent gone (0) or an error ends the worker. */
    int r = weft__pp_recv(sock, &h, &in, NULL, true);
    if (r <= 0)
      _exit(0);
    h.name[WEFT__PP_NAME - 1] = '\0';
    weft_job_fn fn = job_find(h.name);
    void *out = NULL;
    size_t out_len = 0;
    int code = fn ? fn(in, h.len, &out, &out_len) : -ENOENT;
    free(in);
    weft__pp_hdr rep = {.code = code};
    if (!out)
      out_len = 0;
    int err;
    for (;;) {
      err = weft__pp_send(sock, &rep, out, out_len, -1);
      if (err != -EAGAIN)
        break;
      struct pollfd p = {.fd = sock, .events = POLLOUT};
      poll(&p, 1, -1);
    }
    free(out);
    if (err)
      _exit(0);
  }
}

static void zygote_main(int ctl, pid_t parent) {
  die_with_parent(parent);
  signal(SIGCHLD, SIG_IGN); /* workers are reaped by the kernel */
  pid_t self = getpid();
  for (;;) {
    weft__pp_hdr h;
    void *payload = NULL;
    int sock = -1;
    int r = weft__pp_recv(ctl, &h, &payload, &sock, true); /* blocking */
    free(payload);
    if (r <= 0)
      _exit(0);
    if (sock < 0)
      continue;
    pid_t pid = fork();
    if (pid == 0) {
      close(ctl);
      die_with_parent(self);
      signal(SIGCHLD, SIG_DFL);
      worker_main(sock);
      _exit(0);
    }
    close(sock);
    weft__pp_hdr rep = {.code = pid < 0 ? -errno : (int32_t)pid};
    if (weft__pp_send(ctl, &rep, NULL, 0, -1) != 0)
      _exit(0);
  }
}

void weft_job_divert(void) {
  static int done;
  if (done)
    return;
  done = 1;
  const char *fd = getenv("WEFT_ZYGOTE_FD");
  const char *pp = getenv("WEFT_ZYGOTE_PPID");
  if (!fd || !pp)
    return;
  int ctl = (int)strtol(fd, NULL, 10);
  pid_t parent = (pid_t)strtol(pp, NULL, 10);
  unsetenv("WEFT_ZYGOTE_FD"); /* not for the jobs' own children */
  unsetenv("WEFT_ZYGOTE_PPID");
  zygote_main(ctl, parent);
  _exit(0);
}

/* io/procpool.c: whether name is a registered job. */
int weft__job_known(const char *name) { return job_find(name) != NULL; }
