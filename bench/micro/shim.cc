// bench/micro/shim.cc: registers the C bodies of bodies.c with Google
// Benchmark. Each benchmark invocation calls its body once with the whole
// iteration count (state.max_iterations), so the loop runs inside one
// weft_run; the body's own clock, read inside the runtime around the loop,
// is reported as manual time. CPU time is meaningless here (the work runs on
// the worker thread weft_run starts, not on the benchmark's thread): read the
// Time column, or the ns_per_op counter.
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

void BM_spawn_await(benchmark::State &s) {
  Run(s, bench_spawn_await, 1);
}
void BM_yield(benchmark::State &s) {
  Run(s, bench_yield, 1);
}
void BM_yield_pair(benchmark::State &s) {
  Run(s, bench_yield_pair, 1);
}
void BM_sleep0(benchmark::State &s) {
  Run(s, bench_sleep0, 1);
}
void BM_ctx_switch(benchmark::State &s) {
  Run(s, bench_ctx_switch, 1);
}
void BM_spawn_gather_10k(benchmark::State &s) {
  Run(s, bench_spawn_gather, BENCH_GATHER_N);
}
void BM_timers_1000x1ms(benchmark::State &s) {
  Run(s, bench_timers, BENCH_TIMER_TASKS);
}

} // namespace

BENCHMARK(BM_spawn_await)->UseManualTime()->Unit(benchmark::kNanosecond);
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

BENCHMARK_MAIN();
