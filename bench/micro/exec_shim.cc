// bench/micro/exec_shim.cc: the executors' round trips (exec.c) under
// Google Benchmark, as shim.cc does: one weft_run per batch, its own clock
// reported as manual time; read the Time column or ns_per_op.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "exec_bodies.h"

namespace {

template <typename F> void Run(benchmark::State &state, F body) {
  uint64_t ns = 0;
  while (state.KeepRunningBatch(state.max_iterations)) {
    uint64_t t = body(static_cast<uint64_t>(state.max_iterations));
    ns += t;
    state.SetIterationTime(static_cast<double>(t) * 1e-9);
  }
  double ops = static_cast<double>(state.iterations());
  state.counters["ns_per_op"] =
      benchmark::Counter(ops > 0 ? static_cast<double>(ns) / ops : 0.0);
}

void BM_to_thread(benchmark::State &s) { Run(s, bench_to_thread); }
void BM_procpool_empty(benchmark::State &s) {
  Run(s, [](uint64_t n) { return bench_procpool(n, 0); });
}
void BM_procpool_1MiB(benchmark::State &s) {
  Run(s, [](uint64_t n) { return bench_procpool(n, size_t{1} << 20); });
}

} // namespace

BENCHMARK(BM_to_thread)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_procpool_empty)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_procpool_1MiB)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
