/*
 * weft/rt.h: the runtime, tasks, sleeping and yielding.
 *
 * Conventions that hold for every function in weft:
 * - Errors are returned, never reported through errno: 0 (or a count) on
 *   success, a negative errno code on failure. weft_strerror() names them.
 * - "Suspends" means the calling task may be switched out and may resume on
 *   another worker thread. Never hold a pthread mutex, a pointer to
 *   thread-local data or a value of errno across a call that suspends.
 * - A suspending function called from outside a task returns -EPERM.
 * - Cancellation (weft_cancel) is delivered once, as -ECANCELED, by the
 *   cancelled task's current or next suspension point.
 */
#ifndef WEFT_RT_H
#define WEFT_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A task's body. It receives the argument given to the spawn and may store a
 * result in *result (initially NULL). It returns 0 on success, or a negative
 * errno code: the task then counts as failed with that code, except
 * -ECANCELED, which makes the task count as cancelled (asyncio's rule: a
 * coroutine that lets CancelledError out is a cancelled task). */
typedef int (*weft_fn)(void *arg, void **result);

/* A handle to a task. The spawner owns it until it calls weft_detach() exactly
 * once (after weft_await(), or instead of it). */
typedef struct weft_task weft_task;

/* The state of a task, as weft_task_state() reports it. */
typedef enum weft_task_state {
  WEFT_TASK_PENDING = 0, /* not finished: queued, running or suspended */
  WEFT_TASK_DONE,        /* its function returned 0 */
  WEFT_TASK_FAILED,      /* its function returned a negative code */
  WEFT_TASK_CANCELLED, /* cancelled before it ran, or it returned -ECANCELED */
} weft_task_state;

/* ---- the runtime ------------------------------------------------------- */

/* Runtime settings. Initialise with weft_config_init(), then change fields. */
typedef struct weft_config {
  /* Number of worker threads (event loops), 1 to WEFT_MAX_WORKERS. 0 means
   * the environment variable WEFT_WORKERS if set, else one per processing
   * unit the process may run on. One worker keeps asyncio's scheduling
   * order exactly; more workers steal work from each other and any order
   * may be observed (what must hold is documented per function). */
  int workers;
  /* Pin each worker thread to its own processing unit (hwloc) when there is
   * more than one worker; WEFT_PIN=1 or WEFT_PIN=0 in the environment
   * overrides this field. Where the process may not bind (a restricted
   * cpuset, a container), workers run unpinned; debug mode says so.
   * Default false: a pinned worker parked on an idle CPU must be woken on
   * that CPU, and on virtual machines (where an idle vCPU is descheduled)
   * that cost 890 us per wake against 58 us unpinned in tests/unit/
   * wake_pingpong.c; the kernel's wake-affine placement avoids it. Pin for
   * long CPU-bound runs on bare metal. */
  bool pin;
  /* Default stack size of a task in bytes (rounded up to a power of two,
   * from WEFT_STACK_MIN to 8 MiB). 0 means 64 KiB (256 KiB in sanitizer
   * builds). */
  size_t stack_size;
  /* Seconds to let tasks still running at shutdown finish after they were
   * cancelled, before they are reported as stragglers. Default 5. */
  double shutdown_grace;
  /* Debug mode (asyncio's debug=True; WEFT_DEBUG=1 or WEFT_DEBUG=0 in the
   * environment overrides this field), reports on stderr: a task holding
   * its worker longer than slow_task_seconds without suspending (asyncio's
   * slow callback warning), reported by the monitor thread while it still
   * runs, with its name, spawn site and time so far, and again with its
   * full time when it switches out; every task still pending when shutdown
   * cancelled it (asyncio's "Task was destroyed but it is pending"); every
   * task whose handle was neither awaited (weft_await, weft_gather,
   * weft_wait) nor detached by the end; and, when a task finishes, its
   * stack high-water mark if it used more than three quarters of its stack
   * (stacks are filled with a pattern when a task starts, so this costs a
   * write of each stack once). Default false. */
  bool debug;
  /* Debug mode's slow-task threshold in seconds. Default 0.1. */
  double slow_task_seconds;
  /* Start every spawned task eagerly, as if weft_spawn_opts.eager were set
   * (asyncio's loop.set_task_factory(asyncio.eager_task_factory)). */
  bool eager_tasks;
  /* Observation (weft/stats.h). Each has an environment variable, which
   * wins over the field when it is set:
   * print_stats (WEFT_STATS=1): print the counters' table (weft_stats_print)
   * on stderr at shutdown. Default false. */
  bool print_stats;
  /* trace_path (WEFT_TRACE=path): record a scheduler trace and write it to
   * path at shutdown as Chrome trace-event JSON (open it in Perfetto): a
   * track per worker with task run slices, steals, parks, unparks, timer
   * wakes and I/O events. Costs a clock read and an event copy per switch
   * while on. NULL: no trace (the default). The string must outlive the
   * runtime. Ignored, with a warning, by a library built with
   * -DWEFT_TRACE=OFF. */
  const char *trace_path;
  /* trace_events (WEFT_TRACE_EVENTS=n): events kept per worker; later
   * ones are dropped and counted. 0 means 65536 (about 5 MiB a worker). */
  uint64_t trace_events;
  /* dump_on_sigquit (WEFT_DUMP=1): SIGQUIT (Ctrl-\) writes the task dump
   * (weft_dump_tasks) to stderr instead of ending the process; the old
   * disposition is restored when the last such runtime ends. Default
   * false. */
  bool dump_on_sigquit;
  /* top_socket (WEFT_TOP=path, or WEFT_TOP=1 for /tmp/weft-PID.sock): open
   * a Unix socket at path that tools/weft-top (and anything that writes
   * "stats\n" or "tasks\n" to it) reads the counters and the task dump
   * through. Removed at shutdown. NULL: none (the default). weft_run and
   * weft_runtime_new fail with the socket's error (-ENAMETOOLONG,
   * -EACCES, ...) when it cannot be opened, and with -EINVAL for a bad
   * WEFT_TRACE_EVENTS. */
  const char *top_socket;
  /* Executors (weft/exec.h). blocking_threads: the blocking pool's thread
   * cap (asyncio.to_thread, files), 0 meaning 512. blocking_idle_seconds:
   * how long an idle pool thread stays, 0 meaning 10. dns_threads: the cap
   * of the DNS look-ups' own lane (weft_getaddrinfo), kept apart so slow
   * look-ups cannot take the threads files need; 0 meaning 16. */
  int blocking_threads;
  double blocking_idle_seconds;
  int dns_threads;
  /* The signals tasks wait for with weft_signal_wait: a mask of
   * WEFT_SIGNAL(signo) bits (weft/exec.h). Default 0. */
  uint64_t signals;
  /* keep_sigint: weft_run leaves SIGINT alone (its default action ends the
   * process) instead of turning it into a graceful shutdown. Default
   * false. */
  bool keep_sigint;
  /* procpool_workers: the process pool's worker processes (weft/exec.h),
   * 0 meaning one per CPU the process may run on. */
  int procpool_workers;
  /* idle_spin_us (WEFT_SPIN_US wins when set): how long a worker spins
   * before it sleeps, in microseconds, while to_thread jobs are in flight,
   * and a blocking-pool thread between jobs; a wake that finds it spinning
   * costs no system call and no interrupt to a sleeping CPU (a to_thread
   * round trip with the worker and the pool thread on two CPUs: about
   * 21 us with both sleeping, about 1 us with both spinning, on the 2-vCPU
   * VM of bench/findings-spin.md). 0 means 50, the most allowed (more is
   * taken as 50); negative turns spinning off. Never spins when the
   * runtime has more workers than the CPUs it may run on (or only one
   * CPU), nor on the CPU of the thread it waits for; after spins that
   * found nothing it backs off exponentially, so an idle runtime stays
   * idle. weft_worker_stats counts spins and spins_woken. weft_run and
   * weft_runtime_new fail with -EINVAL when WEFT_SPIN_US is not an
   * integer. */
  int idle_spin_us;
} weft_config;

/* The most workers a runtime may have. */
#define WEFT_MAX_WORKERS 1024

/* The smallest stack a task may ask for. */
#define WEFT_STACK_MIN ((size_t)16 * 1024)

/* Fills *cfg with the defaults. Never fails. */
void weft_config_init(weft_config *cfg);

/* asyncio.run(): starts a runtime, runs main_fn(arg, result) as its main
 * task, and when that task returns, cancels every task still running, waits
 * for them (up to cfg->shutdown_grace), and tears the runtime down.
 * cfg may be NULL for the defaults. Blocks the calling thread, which must not
 * be a weft worker.
 * Returns the main task's return value (0, or its negative code), or
 * -EINVAL for a NULL main_fn or a bad config, -EDEADLK when called from inside
 * a task, -ENOTSUP for a configuration this release cannot run, or -ENOMEM. */
int weft_run(const weft_config *cfg, weft_fn main_fn, void *arg, void **result);

/* ---- a runtime driven from plain threads ------------------------------- */

typedef struct weft_spawn_opts weft_spawn_opts; /* defined below */

/* A runtime that outlives one call: Tokio's Runtime, for programs whose own
 * threads hand work to weft. weft_run is weft_runtime_new, block_on of the
 * main task, and weft_runtime_free. */
typedef struct weft_runtime weft_runtime;

/* Starts a runtime (its workers wait for work). Call from a plain thread.
 * Errors: weft_run's (-EINVAL, -EDEADLK from a worker, -ENOMEM, ...). */
int weft_runtime_new(weft_runtime **out, const weft_config *cfg);

/* Shuts the runtime down as weft_run does when its main task returns:
 * cancels every task, waits up to shutdown_grace for them, reports
 * stragglers, joins the workers and frees everything. Handles to its tasks
 * are invalid afterwards. Blocks; call from a plain thread (-EDEADLK from
 * one of its workers). Returns 0 or -EINVAL. */
int weft_runtime_free(weft_runtime *rt_handle);

/* Runs fn(arg, result) as a task of rt and blocks the calling plain thread
 * until it returns (Tokio's block_on; asyncio's run_coroutine_threadsafe
 * followed by result()). Returns the task's code. Errors: -EINVAL, -EDEADLK
 * (called from a worker thread), -ESHUTDOWN, -ENOMEM. */
int weft_runtime_block_on(weft_runtime *rt, weft_fn fn, void *arg,
                          void **result);

/* Spawns a task on rt from any thread, task or not (to the inject queue
 * when called from outside rt's workers; lazily, as weft_spawn). Eager
 * starts are not available from here. Errors: -EINVAL, -ESHUTDOWN (after
 * weft_runtime_free began), -ENOMEM. */
int weft_runtime_spawn_at(weft_runtime *rt_handle, weft_task **out, weft_fn fn,
                          void *arg, const weft_spawn_opts *opts,
                          const char *file, int line);
#define weft_runtime_spawn(rt, out, fn, arg)                                   \
  weft_runtime_spawn_at((rt), (out), (fn), (arg), NULL, __FILE__, __LINE__)

/* asyncio's call_soon_threadsafe: runs fn(arg, &result) soon as a detached
 * task of rt; any thread. Returns 0, or weft_runtime_spawn's errors. */
int weft_runtime_call_soon_threadsafe(weft_runtime *rt, weft_fn fn, void *arg);

/* ---- spawning ---------------------------------------------------------- */

/* Per-spawn options. Zero-initialise, then set what you need. */
typedef struct weft_spawn_opts {
  const char *name;  /* shown in reports; copied; NULL means the spawn site */
  size_t stack_size; /* 0 means the runtime default; else >= WEFT_STACK_MIN */
  /* Eager start (CPython 3.12's eager_task_factory): the task runs at once,
   * on the spawner's worker, until its first suspension; then the spawner
   * continues. A task that finishes without suspending is never queued. */
  bool eager;
  /* Pinned: the task runs only on worker `worker` (0 to workers - 1) and is
   * never stolen, as per-worker accept loops need. Not with eager. */
  bool pinned;
  int worker;
} weft_spawn_opts;

/* asyncio.create_task(): queues fn(arg, &result) as a new task at the back of
 * the current worker's ready queue; it runs when the worker reaches it (lazy,
 * FIFO). Its stack is taken when it first runs, so queued tasks cost no
 * stack. Must be called from a task. Does not suspend the caller (an eager
 * task, see weft_spawn_opts.eager, runs before this returns, but the caller
 * keeps its place: it is not a suspension point and delivers no
 * cancellation).
 * On success stores the handle in *out and returns 0. Errors: -EINVAL (NULL
 * out or fn, stack size below WEFT_STACK_MIN), -EPERM (not called from a
 * task), -ESHUTDOWN (the runtime is shutting down), -ENOMEM.
 * The macro records the spawn site (file:line); call weft_spawn_at directly
 * to give your own. */
int weft_spawn_at(weft_task **out, weft_fn fn, void *arg,
                  const weft_spawn_opts *opts, const char *file, int line);
#define weft_spawn(out, fn, arg)                                               \
  weft_spawn_at((out), (fn), (arg), NULL, __FILE__, __LINE__)
#define weft_spawn_opt(out, fn, arg, opts)                                     \
  weft_spawn_at((out), (fn), (arg), (opts), __FILE__, __LINE__)

/* ---- the three operations on a handle ---------------------------------- */

/* await task: waits until t has finished. Suspends only if t has not finished
 * yet (awaiting a finished task does not yield, as in asyncio). Returns
 * 0 with the task's result in *result (result may be NULL), the task's
 * negative code if it failed, or -ECANCELED if it was cancelled. The handle
 * stays valid: release it with weft_detach().
 * Cancelling the awaiting task while it waits cancels t instead, as asyncio
 * cancels the future a task awaits: the await goes on until t has finished
 * and returns t's outcome (-ECANCELED unless t caught the cancellation and
 * returned a result). A cancellation that arrives after t finished but
 * before the awaiter resumed is delivered here, as -ECANCELED. Use
 * weft_task_state_of() to tell who was cancelled. Other errors: -EINVAL
 * (NULL t), -EDEADLK (a task awaiting itself), -EPERM (not called from a
 * task). Aborts with a message if t is not a live handle (used after
 * weft_detach). Cancellation-safe: nothing is lost; awaiting again is
 * allowed and returns the same outcome. */
int weft_await(weft_task *t, void **result);

/* Releases the handle. A task that has not finished runs on, detached; no
 * one can await it any more. t must not be used afterwards. Any thread.
 * NULL is ignored. */
void weft_detach(weft_task *t);

/* task.cancel(): asks t to stop. The request is delivered once, as
 * -ECANCELED from t's current or next suspension point; a task cancelled
 * before it first ran never enters its function. Returns 0 when the request
 * was made, -EALREADY if t has already finished (nothing happens, as
 * task.cancel() returns False), -EINVAL for NULL. Does not suspend: pair it
 * with weft_await() to wait for the end. Any thread. */
int weft_cancel(weft_task *t);

/* The task's state now. Any thread. */
weft_task_state weft_task_state_of(const weft_task *t);

/* The task's name (its spawn site "file:line" if it was given none). */
const char *weft_task_name(const weft_task *t);

/* ---- waiting on many tasks --------------------------------------------- */

/* weft_gather() flags. */
enum {
  /* asyncio.gather(..., return_exceptions=True): wait for every task and
   * report each one's code in statuses[]; the return value is then 0 unless
   * the caller itself is cancelled. */
  WEFT_GATHER_ALL = 1u << 0,
};

/* asyncio.gather(): waits for the n tasks. results[i] (if results is not
 * NULL) receives task i's result and statuses[i] (if statuses is not NULL)
 * its code (0, its negative code, or -ECANCELED), in argument order whatever
 * the order they finished in; tasks not finished when it returns get result
 * NULL and status -EINPROGRESS.
 * Without WEFT_GATHER_ALL it returns at the first failure, with that task's
 * code; the other tasks keep running, as in asyncio. With it, it returns once
 * all have finished. Returns 0 when all succeeded (or with WEFT_GATHER_ALL,
 * when all finished). If the caller is cancelled while it waits, every task
 * not finished is cancelled (asyncio's rule) and -ECANCELED is returned.
 * Suspends unless every task has already finished. Handles stay valid.
 * Errors: -EINVAL (NULL tasks with n > 0, a NULL entry, unknown flags),
 * -EDEADLK (the caller is one of the tasks), -EPERM (outside a task). */
int weft_gather(weft_task *const *tasks, size_t n, void **results,
                int *statuses, unsigned flags);

/* asyncio.wait()'s return_when. */
typedef enum weft_wait_mode {
  WEFT_FIRST_COMPLETED = 1, /* any task finished */
  WEFT_FIRST_EXCEPTION,     /* any task failed (not cancelled), or all done */
  WEFT_ALL_COMPLETED,       /* every task finished */
} weft_wait_mode;

/* asyncio.wait(): waits until the n tasks meet `when`. done[i] (if done is
 * not NULL) tells whether task i has finished. Returns the number of
 * finished tasks (at least 1). Suspends, also when a task had already
 * finished, as asyncio.wait does. If the caller is cancelled it returns
 * -ECANCELED and the tasks are left running (asyncio.wait does not cancel
 * them). Errors: -EINVAL (no tasks, a NULL entry, a bad mode), -EDEADLK (the
 * caller is one of the tasks), -EPERM (outside a task), -ENOMEM.
 * Cancellation-safe: nothing is lost. */
int weft_wait(weft_task *const *tasks, size_t n, weft_wait_mode when,
              bool *done);

/* Wait-any: weft_wait with WEFT_FIRST_COMPLETED, storing in *index the task
 * that finished first. Returns 0 or weft_wait's errors. */
int weft_wait_any(weft_task *const *tasks, size_t n, size_t *index);

/* ---- inside a task ----------------------------------------------------- */

/* The calling task, or NULL outside any task. */
weft_task *weft_self(void);

/* The index (0 to count - 1) of the worker running the calling task, or -1
 * outside tasks; it may change at any suspension point unless the task is
 * pinned. The number of workers of the calling task's runtime, or 0. */
int weft_worker_index(void);
int weft_worker_count(void);

/* asyncio.sleep(0): moves the calling task to the back of the ready queue.
 * Suspends. Returns 0, -ECANCELED, or -EPERM outside a task. */
int weft_yield(void);

/* asyncio.sleep(): suspends the calling task for at least ns nanoseconds
 * (ms milliseconds). A zero duration is weft_yield(). Returns 0 when the time
 * has passed, -ECANCELED if the task was cancelled while it slept (the sleep
 * is abandoned), -EINVAL for a negative duration, -EPERM outside a task. */
int weft_sleep_ns(int64_t ns);
int weft_sleep_ms(int64_t ms);

/* The runtime's monotonic clock in nanoseconds (asyncio's loop.time()).
 * Any thread. */
int64_t weft_now_ns(void);

/* A message for a code returned by weft (a negative errno code). */
const char *weft_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_RT_H */
