// bench/micro/shim.cc: registers the C bodies of bodies.c with Google
// Benchmark. Each benchmark invocation calls its body once with the whole
// iteration count (state.max_iterations), so the loop runs inside one
// weft_run; the body's own clock, read inside the runtime around the loop,
// is reported as manual time. CPU time is meaningless here (the work runs on
// the worker thread weft_run starts, not on the benchmark's thread): read the
// Time column, or the ns_per_op counter.
//
// Issue 4's scheduler workloads (bench/micro/sched.c) take the worker count
// as their argument (workers:1, 2, 4) and run once per iteration, one
// iteration per repetition: each repetition is one weft_run (warm-up, then
// the timed run), as each of the peers' runs is one process. Besides
// ns_per_op they report, per run, the workers' counters summed over the
// workers: steals won and victims tried, parks and unparks, tasks run, tasks
// taken from the inject queue and ring overflows to it.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bodies.h"

namespace {

using Body = uint64_t (*)(uint64_t);

// ops_per_iter: operations in one iteration (tasks in a gather round).
void Run(benchmark::State &state, Body body, double ops_per_iter) {
  uint64_t ns = 0;
  while (state.KeepRunningBatch(state.max_iterations)) {
    uint64_t t = body(static_cast<uint64_t>(state.max_iterations));
    ns += t;
    state.SetIterationTime(static_cast<double>(t) * 1e-9);
  }
  double ops = static_cast<double>(state.iterations()) * ops_per_iter;
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  state.counters["ns_per_op"] =
      benchmark::Counter(ops > 0 ? static_cast<double>(ns) / ops : 0.0);
}

void BM_spawn_await(benchmark::State &s) { Run(s, bench_spawn_await, 1); }
void BM_spawn_await_deep(benchmark::State &s) {
  Run(s, bench_spawn_await_deep, 1);
}
void BM_yield(benchmark::State &s) { Run(s, bench_yield, 1); }
void BM_yield_pair(benchmark::State &s) { Run(s, bench_yield_pair, 1); }
void BM_sleep0(benchmark::State &s) { Run(s, bench_sleep0, 1); }
void BM_ctx_switch(benchmark::State &s) { Run(s, bench_ctx_switch, 1); }
void BM_spawn_gather_10k(benchmark::State &s) {
  Run(s, bench_spawn_gather, BENCH_GATHER_N);
}
void BM_timers_1000x1ms(benchmark::State &s) {
  Run(s, bench_timers, BENCH_TIMER_TASKS);
}

using SchedBody = void (*)(int workers, bench_sched_stats *out);

void RunSched(benchmark::State &state, SchedBody body) {
  int workers = static_cast<int>(state.range(0));
  double ns = 0, ops = 0, runs = 0;
  bench_sched_stats sum{};
  for (auto _ : state) {
    bench_sched_stats s{};
    body(workers, &s);
    state.SetIterationTime(static_cast<double>(s.ns) * 1e-9);
    ns += static_cast<double>(s.ns);
    ops += static_cast<double>(s.ops);
    runs += 1;
    sum.tasks_run += s.tasks_run;
    sum.steals_tried += s.steals_tried;
    sum.steals_won += s.steals_won;
    sum.parks += s.parks;
    sum.unparks += s.unparks;
    sum.inject_pops += s.inject_pops;
    sum.overflows += s.overflows;
  }
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  auto per_run = [&](uint64_t v) {
    return benchmark::Counter(runs > 0 ? static_cast<double>(v) / runs : 0);
  };
  state.counters["ns_per_op"] = benchmark::Counter(ops > 0 ? ns / ops : 0.0);
  state.counters["steals"] = per_run(sum.steals_won);
  state.counters["steal_tries"] = per_run(sum.steals_tried);
  state.counters["parks"] = per_run(sum.parks);
  state.counters["unparks"] = per_run(sum.unparks);
  state.counters["tasks_run"] = per_run(sum.tasks_run);
  state.counters["inject_pops"] = per_run(sum.inject_pops);
  state.counters["overflows"] = per_run(sum.overflows);
}

void BM_spawn_many(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_spawn_many(w, BENCH_SPAWN_MANY_TASKS, true, o);
  });
}
void BM_spawn_many_each(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_spawn_many_each(w, BENCH_SPAWN_MANY_TASKS, true, o);
  });
}
void BM_yield_many(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_yield_many(w, BENCH_YIELD_MANY_TASKS, BENCH_YIELD_MANY_YIELDS, true,
                     o);
  });
}
void BM_ping_pong(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_ping_pong(w, BENCH_PING_PONG_PAIRS, BENCH_PING_PONG_TRIPS, true, o);
  });
}
void BM_chained_spawn(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_chained_spawn(w, BENCH_CHAIN_LEN, BENCH_CHAIN_TIMES, true, o);
  });
}

// Issue 8's additions: timers (100,000 tasks sleeping 1 ms), fan_out and
// gather, at the sizes bodies.h gives.
void BM_timers_100k(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_timers_many(w, BENCH_TIMERS_TASKS, BENCH_TIMER_SLEEP_MS, true, o);
  });
}
void BM_fan_out(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_fan_out(w, BENCH_FAN_ROUNDS, BENCH_FAN_WIDTH, true, o);
  });
}
void BM_gather(benchmark::State &s) {
  RunSched(s, [](int w, bench_sched_stats *o) {
    bench_gather(w, BENCH_GATHER_ROUNDS, BENCH_GATHER_WIDTH, true, o);
  });
}

// Issue 6's sync/ bodies (bench/micro/sync.c).
void BM_lock_uncontended(benchmark::State &s) {
  Run(s, bench_lock_uncontended, 1);
}
void BM_lock_contended_2w(benchmark::State &s) {
  Run(s, bench_lock_contended2, 1);
}
void BM_queue_spsc_2w(benchmark::State &s) { Run(s, bench_queue_spsc, 1); }
void BM_queue_mpsc4_2w(benchmark::State &s) { Run(s, bench_queue_mpsc, 1); }

} // namespace

BENCHMARK(BM_spawn_await)->UseManualTime()->Unit(benchmark::kNanosecond);
// The awaiter BENCH_AWAIT_DEPTH calls deeper: the cost of its call chain.
BENCHMARK(BM_spawn_await_deep)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_yield)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_yield_pair)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_sleep0)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_ctx_switch)->UseManualTime()->Unit(benchmark::kNanosecond);
// One iteration is a round of 10,000 tasks: Time is per round, ns_per_op per
// task.
BENCHMARK(BM_spawn_gather_10k)->UseManualTime()->Unit(benchmark::kMicrosecond);
// One iteration is a round of 1000 tasks sleeping 1 ms: Time is the round's
// wall time (ideal: just over 1 ms).
BENCHMARK(BM_timers_1000x1ms)->UseManualTime()->Unit(benchmark::kMillisecond);

// Issue 4's set: one iteration is one whole run (Time is per run, ns_per_op
// per operation), at 1, 2 and 4 workers (4 oversubscribes this 2-CPU
// machine).
#define WEFT_SCHED_BENCH(fn)                                                   \
  BENCHMARK(fn)                                                                \
      ->ArgName("workers")                                                     \
      ->Arg(1)                                                                 \
      ->Arg(2)                                                                 \
      ->Arg(4)                                                                 \
      ->Iterations(1)                                                          \
      ->UseManualTime()                                                        \
      ->Unit(benchmark::kMillisecond)
WEFT_SCHED_BENCH(BM_spawn_many);
WEFT_SCHED_BENCH(BM_spawn_many_each);
WEFT_SCHED_BENCH(BM_yield_many);
WEFT_SCHED_BENCH(BM_ping_pong);
WEFT_SCHED_BENCH(BM_chained_spawn);
WEFT_SCHED_BENCH(BM_timers_100k);
WEFT_SCHED_BENCH(BM_fan_out);
WEFT_SCHED_BENCH(BM_gather);

// Issue 6's sync/ set: Time and ns_per_op are per operation (a lock
// acquire + release, an item through the queue).
BENCHMARK(BM_lock_uncontended)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_lock_contended_2w)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_queue_spsc_2w)->UseManualTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_queue_mpsc4_2w)->UseManualTime()->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
