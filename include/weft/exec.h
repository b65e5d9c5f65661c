/*
 * weft/exec.h: executors (DESIGN 6): blocking work on a pool of threads
 * (asyncio.to_thread), signals delivered to tasks (add_signal_handler), and
 * subprocesses with asynchronous pipes (create_subprocess_exec).
 *
 * Conventions are weft/rt.h's and weft/io.h's: 0 or a negative errno code,
 * "suspends" means the task may resume on another worker, -EPERM outside a
 * task.
 */
#ifndef WEFT_EXEC_H
#define WEFT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "weft/io.h"
#include "weft/rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the blocking pool (asyncio.to_thread) ------------------------------
 *
 * Threads are made on demand up to weft_config.blocking_threads (default
 * 512); one idle for weft_config.blocking_idle_seconds (default 10) leaves.
 * Jobs wait in one FIFO queue while every thread is busy. The pool's thread
 * count, queue depth and jobs run are in weft_stats (weft/stats.h). Pool
 * threads block every signal. At shutdown (DESIGN 4.4 step 4) the pool runs
 * its queue and its threads are joined, or, past the shutdown grace period,
 * left running detached: they touch nothing of the runtime afterwards. */

/* A blocking function: runs on a pool thread (any code, blocking calls
 * allowed; not weft's suspending calls). Returns 0 or a negative code and
 * may store a result in *result (initially NULL). */
typedef int (*weft_blocking_fn)(void *arg, void **result);

/* Called on the pool thread, after fn returned, when the waiting task is no
 * longer there to take the outcome (it was cancelled): frees result and,
 * if it owns it, arg. */
typedef void (*weft_release_fn)(void *arg, void *result, int code);

/* asyncio.to_thread(): runs fn(arg, &r) on a blocking-pool thread and
 * suspends the calling task until it returns. Returns fn's code and stores
 * r in *result (result may be NULL).
 * Cancellation: the call returns -ECANCELED at once. A job still queued is
 * dropped without running; a running one finishes on its thread (a thread
 * cannot be stopped safely) and then release(arg, r, code) runs there, if
 * release is not NULL (for a dropped job, release(arg, NULL, -ECANCELED)
 * runs when the job is discarded; and a call that returns -ECANCELED
 * without submitting, a cancellation already pending, calls it at once).
 * In short: after -ECANCELED, release(arg, ...) runs exactly once. So arg must
 * stay valid until fn returns even after the caller left: give heap memory that
 * release frees, not the caller's stack. Errors: -EINVAL (NULL fn), -EPERM
 * (outside a task), -ESHUTDOWN (the runtime is shutting down), -EAGAIN (no
 * thread could be made and none exists), -ENOMEM, -ECANCELED. */
int weft_to_thread(weft_blocking_fn fn, void *arg, void **result,
                   weft_release_fn release);

/* ---- signals (asyncio's loop.add_signal_handler) ------------------------
 *
 * The signals a program handles are named in weft_config.signals
 * (WEFT_SIGNAL(SIGTERM) | WEFT_SIGNAL(SIGHUP) | ...). weft_run blocks them,
 * and SIGINT unless weft_config.keep_sigint is set, in the calling thread
 * before it makes any thread (so every runtime thread inherits the mask)
 * and restores the mask when it returns; one signalfd and one thread read
 * them. Threads the program made itself before weft_run should block them
 * too, or the kernel may deliver a signal there. weft_runtime_new does the
 * same for weft_config.signals (never SIGINT) and leaves them blocked in
 * its calling thread.
 *
 * SIGINT, unless the program names it in weft_config.signals or sets
 * keep_sigint, starts a graceful shutdown as asyncio.run does on Ctrl-C:
 * the main task is cancelled, then every task (DESIGN 4.4), and weft_run
 * returns -EINTR; a second SIGINT during the shutdown ends the process with
 * SIGINT's default action. Children spawned by weft (weft_process_spawn)
 * start with an empty signal mask and default dispositions. */
#define WEFT_SIGNAL(signo) ((uint64_t)1 << (signo))

/* Waits until signo arrives (one arrival is consumed per return; arrivals
 * while nobody waits are counted and returned by later calls). Suspends.
 * Returns 0, -ETIMEDOUT (deadline), -ECANCELED, -EINVAL (signo not in
 * weft_config.signals), -EPERM (outside a task).
 * Cancellation: safe; no arrival is consumed by a call that returns
 * -ECANCELED. */
int weft_signal_wait(int signo, int64_t deadline);

/* ---- subprocesses (asyncio.create_subprocess_exec) ----------------------
 */

/* What a child's stdin, stdout or stderr is. */
typedef enum weft_stdio {
  WEFT_STDIO_INHERIT = 0, /* the parent's fd */
  WEFT_STDIO_PIPE,        /* a pipe, the parent's end a weft_io */
  WEFT_STDIO_NULL,        /* /dev/null */
} weft_stdio;

/* weft_process_spawn options. Zero-initialise, then set what you need. */
typedef struct weft_process_opts {
  weft_stdio in, out, err;
  char *const *envp; /* the environment; NULL: the parent's */
  bool path_search;  /* look file up in PATH (execvp); else file is a path */
} weft_process_opts;

typedef struct weft_process weft_process;

/* Starts argv (argv[0] is the program, NULL-terminated) with posix_spawn:
 * an empty signal mask and every signal's default disposition, the pipes
 * asked for registered on the calling worker's reactor, every other fd of
 * weft close-on-exec. Its exit is watched through a pidfd on the same
 * reactor. Does not suspend. Returns 0 and *out, or -ENOENT (no such
 * executable), -EACCES, -EINVAL (NULL argv or argv[0], bad opts), -EMFILE,
 * -ENOMEM, -EPERM (outside a task). */
int weft_process_spawn(char *const argv[], const weft_process_opts *opts,
                       weft_process **out);

/* The parent's ends of the pipes (NULL unless WEFT_STDIO_PIPE): read,
 * write and close them with weft/io.h. Closing stdin sends end of file. */
weft_io *weft_process_stdin(weft_process *p);
weft_io *weft_process_stdout(weft_process *p);
weft_io *weft_process_stderr(weft_process *p);

/* The child's process id. */
pid_t weft_process_pid(const weft_process *p);

/* Sends signo to the child through its pidfd (never to a recycled pid).
 * Returns 0, -ESRCH (it has been waited for), -EINVAL, -EPERM. Does not
 * suspend. Any thread. */
int weft_process_send_signal(weft_process *p, int signo);

/* Waits for the child to end and reaps it. *code (may be NULL) receives
 * asyncio's returncode: the exit status (0-255), or -signo when a signal
 * ended it. Suspends until then. Returns 0, -ETIMEDOUT, -ECANCELED, -EPERM.
 * Cancellation: safe; the child runs on and can be waited for again. Once
 * it has returned 0, later calls return 0 and the same code at once. */
int weft_process_wait(weft_process *p, int64_t deadline, int *code);

/* asyncio's communicate(): writes in_len bytes of in to the child's stdin
 * (if it is a pipe) and closes it, reads its stdout and stderr (those that
 * are pipes) to their end, all at once, then waits for it. *out and *err
 * (may be NULL: the stream is read and dropped) receive malloc'd buffers
 * (free() them), NUL-terminated for convenience, with their lengths in
 * *out_len and *err_len. Suspends. Returns 0 (with *code as in
 * weft_process_wait), -ETIMEDOUT, -ECANCELED, -ENOMEM, or an I/O error; a
 * child that stops reading its stdin (-EPIPE) is not an error. On error
 * nothing is stored in *out and *err. */
int weft_process_communicate(weft_process *p, const void *in, size_t in_len,
                             char **out, size_t *out_len, char **err,
                             size_t *err_len, int64_t deadline, int *code);

/* Closes the pipes and frees p. A child not waited for yet is killed with
 * SIGKILL and reaped, so no zombie is left. Does not suspend. NULL is
 * ignored. */
void weft_process_free(weft_process *p);

/* ---- the process pool (run_in_executor with a ProcessPoolExecutor) ------
 *
 * CPU-bound jobs run in worker processes (weft_config.procpool_workers,
 * default one per CPU), made when the first job runs. A job is a function
 * registered by name (addresses differ between processes) that takes an
 * input buffer and returns an output buffer. Workers are forked by a
 * zygote, a fresh copy of the program (/proc/self/exe) diverted before
 * main() by WEFT_JOB's constructors; so the zygote inherits no lock held
 * by another thread, and main() never runs there. Requests and replies go
 * over a SOCK_SEQPACKET socket per worker; a payload over 32 KiB travels
 * in a sealed memfd passed with SCM_RIGHTS. Workers and the zygote die
 * with their parent (PR_SET_PDEATHSIG).
 *
 * Healing: a worker that crashes, calls exit() or is killed fails only the
 * job it was running, with -EOWNERDEAD, and a replacement is forked; a
 * zygote that died is started again. Workers are checked before each job,
 * so a dead idle worker never takes one. At shutdown (DESIGN 4.4 step 5)
 * every worker and the zygote are killed and reaped.
 *
 * Inside a worker, a job runs in a plain single-threaded process: no weft
 * runtime, no tasks. */

/* A job: reads in[0..in_len), may store a malloc'd buffer in *out with its
 * length in *out_len (the worker frees it after sending), returns 0 or a
 * negative code (given to the caller). */
typedef int (*weft_job_fn)(const void *in, size_t in_len, void **out,
                           size_t *out_len);

/* Registers fn under name (at most 63 bytes) in this process. Use WEFT_JOB,
 * which calls it from a constructor, so that the zygote has the same
 * registry. Returns 0, -EINVAL, -EEXIST or -ENOMEM. */
int weft_job_register(const char *name, weft_job_fn fn);

/* Called by WEFT_JOB's constructors after every registration: in a zygote
 * it never returns. Not for direct use. */
void weft_job_divert(void);

/* Registers fn as job `name` (an identifier) at load time. Use at file
 * scope, in the program (the executable or a library it loads before
 * main). Registration constructors run before the diverting ones (their
 * priority), so every job of the executable is known to the zygote. */
#define WEFT_JOB(name, fn)                                                     \
  __attribute__((constructor(101))) static void weft_job_reg_##name(void) {    \
    weft_job_register(#name, (fn));                                            \
  }                                                                            \
  __attribute__((constructor)) static void weft_job_div_##name(void) {         \
    weft_job_divert();                                                         \
  }

/* Runs job `name` on in[0..in_len) in a worker process and suspends the
 * calling task until its reply. Returns the job's code with its output in
 * *out (malloc'd: free() it; NULL when empty) and *out_len (both may be
 * NULL to drop it). Errors: -ENOENT (no job of that name), -EOWNERDEAD
 * (the worker died while running it: a crash, exit(), a kill), -ECANCELED
 * and -ETIMEDOUT (deadline, absolute on weft_now_ns; WEFT_NO_DEADLINE:
 * none): in both cases the worker running the job is killed and replaced,
 * -EINVAL, -ENOMEM, -EPERM (outside a task), -ESHUTDOWN, or the error that
 * kept the pool from starting (-EAGAIN, -EMFILE, ...). Cancellation:
 * returns -ECANCELED soon (the time to kill the worker); the job is lost. */
int weft_procpool_run(const char *name, const void *in, size_t in_len,
                      void **out, size_t *out_len, int64_t deadline);

/* The process pool's state, for tests and tools. */
typedef struct weft_procpool_info {
  int size;       /* workers it keeps */
  int live;       /* workers alive now, to its knowledge */
  pid_t zygote;   /* the zygote's pid, or 0 */
  pid_t pids[64]; /* the first 64 workers' pids */
} weft_procpool_info;

/* Fills *info for the calling task's runtime. Returns 0, -ENOENT (no
 * pool started yet), -EPERM (outside a task), -EINVAL. Does not suspend. */
int weft_procpool_info_get(weft_procpool_info *info);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_EXEC_H */
