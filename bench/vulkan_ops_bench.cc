// Google Benchmark of each Vulkan shader at MiniLM-L6 shapes (GFLOP/s or GB/s; sync per iteration).
#include <benchmark/benchmark.h>

#if __has_include("vulkan_backend.h")
#include <memory>
#include <vector>

#include "crossenc/backend.h"
#include "crossenc/error.h"
#include "crossenc/backends/vulkan.h"

namespace crossenc {
namespace {

constexpr int64_t kHidden = 384, kHeads = 12, kFfn = 1536;

// One backend for the whole run (device and pipeline creation are not what we measure).
Backend* backend() {
  static std::unique_ptr<Backend> be = []() -> std::unique_ptr<Backend> {
    try {
      return make_vulkan_backend({.name = "vulkan"});
    } catch (const Error&) {
      return nullptr;
    }
  }();
  return be.get();
}

Tensor filled(Backend& be, int64_t rows, int64_t cols, DType dt = DType::F32) {
  Tensor t = be.scratch(rows, cols, dt);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919) % 1000) * 1e-3f - 0.5f;
  be.upload(v.data(), t);
  return t;
}

// A batch of `seqs` sequences of `len` tokens.
PackedBatch make_batch(int seqs, int len) {
  PackedBatch b;
  std::vector<int32_t> ids(len), types(len);
  for (int i = 0; i < len; ++i) ids[i] = 1000 + i, types[i] = i >= len / 2;
  for (int s = 0; s < seqs; ++s) b.add(ids, types);
  return b;
}

// args: tokens, n, k, activation, f16 weights
void BM_Gemm(benchmark::State& state) {
  Backend* be = backend();
  if (!be) return state.SkipWithError("no Vulkan device");
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const auto act = static_cast<Activation>(state.range(3));
  const DType wdt = state.range(4) ? DType::F16 : DType::F32;
  be->begin_batch(make_batch(1, 8));
  Tensor a = filled(*be, m, k), w = filled(*be, n, k, wdt), b = filled(*be, 1, n);
  Tensor out = be->scratch(m, n, DType::F32);
  for (auto _ : state) {
    be->gemm(a, w, &b, act, out);
    be->sync();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Gemm)
    ->Args({2048, 3 * kHidden, kHidden, 0, 0})
    ->Args({2048, kFfn, kHidden, 1, 0})
    ->Args({2048, kHidden, kFfn, 0, 0})
    ->Args({2048, kFfn, kHidden, 1, 1})
    ->Args({32, kHidden, kHidden, 2, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// args: sequences, length, cls_only
void BM_Attention(benchmark::State& state) {
  Backend* be = backend();
  if (!be) return state.SkipWithError("no Vulkan device");
  const int seqs = static_cast<int>(state.range(0)), len = static_cast<int>(state.range(1));
  const bool cls = state.range(2) != 0;
  PackedBatch batch = make_batch(seqs, len);
  be->begin_batch(batch);
  const int64_t t = batch.total_tokens();
  Tensor qkv = filled(*be, t, 3 * kHidden);
  Tensor out = be->scratch(cls ? seqs : t, kHidden, DType::F32);
  for (auto _ : state) {
    be->attention(qkv, kHeads, cls, out);
    be->sync();
  }
  const double queries = cls ? seqs : static_cast<double>(t);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * queries * len * kHidden * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Attention)
    ->Args({32, 64, 0})
    ->Args({8, 256, 0})
    ->Args({32, 64, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AddLayerNorm(benchmark::State& state) {
  Backend* be = backend();
  if (!be) return state.SkipWithError("no Vulkan device");
  const int64_t rows = state.range(0);
  be->begin_batch(make_batch(1, 8));
  Tensor x = filled(*be, rows, kHidden), r = filled(*be, rows, kHidden);
  Tensor g = filled(*be, 1, kHidden), b = filled(*be, 1, kHidden);
  for (auto _ : state) {
    be->add_layernorm(x, r, g, b, 1e-12f, r);
    be->sync();
  }
  state.counters["GB/s"] = benchmark::Counter(3.0 * rows * kHidden * 4 * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AddLayerNorm)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Embed(benchmark::State& state) {
  Backend* be = backend();
  if (!be) return state.SkipWithError("no Vulkan device");
  PackedBatch batch = make_batch(static_cast<int>(state.range(0)), 64);
  be->begin_batch(batch);
  Tensor word = filled(*be, 2048, kHidden), pos = filled(*be, 512, kHidden),
         type = filled(*be, 2, kHidden);
  Tensor g = filled(*be, 1, kHidden), b = filled(*be, 1, kHidden);
  Tensor out = be->scratch(batch.total_tokens(), kHidden, DType::F32);
  for (auto _ : state) {
    be->embed(word, pos, type, g, b, 1e-12f, out);
    be->sync();
  }
  state.counters["GB/s"] = benchmark::Counter(4.0 * batch.total_tokens() * kHidden * 4 * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Embed)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace crossenc
#endif  // vulkan_backend.h available

BENCHMARK_MAIN();
