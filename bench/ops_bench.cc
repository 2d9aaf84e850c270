// CPU kernel microbenchmarks at the encoder's real shapes (MiniLM-L6: hidden 384, FFN 1536,
// a length-sorted batch of 32 DL19 pairs = ~3000 tokens): GEMM per path (own AVX-512/AVX2,
// OpenBLAS, Eigen) and weight type, attention, LayerNorm, GELU.
// Counters: GFLOP/s (wall clock); cpu_GFLOP/s = flops x threads / process CPU seconds, i.e. the
// rate if each thread had a core to itself (robust when other jobs share the cores); pct_peak =
// cpu_GFLOP/s as a share of the FMA peak measured the same way at start-up (the FmaPeak
// benchmark). Threads: CROSSENC_BENCH_THREADS or 2.
#include <benchmark/benchmark.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cpu_ops.h"
#include "crossenc/half.h"
#include "crossenc/process_stats.h"
#include "gemm_amx.h"
#include "gemm_int8.h"
#include "packed_weights.h"

namespace crossenc::cpu {
namespace {

constexpr int64_t kTokens = 3040;  // 32 pairs x ~95 tokens
constexpr int kHidden = 384, kHeads = 12, kFfn = 1536;

int bench_threads() {
  const char* env = std::getenv("CROSSENC_BENCH_THREADS");
  return env ? std::atoi(env) : 2;
}

ThreadPool& pool() {
  static ThreadPool p(bench_threads());
  return p;
}

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

#if defined(__x86_64__)
// Peak single-precision FMA throughput of the pool's threads, in GFLOP/s per CPU second (24
// independent accumulators per thread, so latency never limits it).
__attribute__((target("avx512f"))) double fma_seconds_avx512(int64_t iters) {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-6f);
  const double t0 = thread_cpu_seconds();
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, acc[i]);
  benchmark::DoNotOptimize(s);
  return thread_cpu_seconds() - t0;
}

__attribute__((target("avx2,fma"))) double fma_seconds_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-6f);
  const double t0 = thread_cpu_seconds();
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  benchmark::DoNotOptimize(s);
  return thread_cpu_seconds() - t0;
}

double measure_peak_gflops() {
  if (detect_isa() == Isa::Generic) return 1.0;  // pct_peak is then meaningless
  const bool avx512 = detect_isa() == Isa::Avx512;
  const int64_t iters = 20'000'000;
  const double flops_per_iter = avx512 ? 24.0 * 32 : 12.0 * 16;
  std::vector<double> rate(static_cast<size_t>(pool().size()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < rate.size(); ++t) {
    threads.emplace_back([&, t] {
      const double s = avx512 ? fma_seconds_avx512(iters) : fma_seconds_avx2(iters);
      rate[t] = iters * flops_per_iter / s / 1e9;
    });
  }
  for (auto& t : threads) t.join();
  double total = 0;
  for (double r : rate) total += r;
  return total;
}
#else
double measure_peak_gflops() { return 1.0; }  // no FMA probe for this architecture
#endif

double peak_gflops() {
  static const double peak = measure_peak_gflops();
  return peak;
}

// Wall and process CPU time of the timed loop.
class LoopTimer {
 public:
  LoopTimer() : t0_(std::chrono::steady_clock::now()), cpu0_(process_cpu_seconds()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  double cpu_seconds() const { return process_cpu_seconds() - cpu0_; }

 private:
  std::chrono::steady_clock::time_point t0_;
  double cpu0_;
};

void set_flops(benchmark::State& state, const LoopTimer& timer, double flops_per_iter) {
  const double flops = flops_per_iter * static_cast<double>(state.iterations());
  const double cpu_gflops = flops * pool().size() / timer.cpu_seconds() * 1e-9;
  state.counters["GFLOP/s"] = flops / timer.seconds() * 1e-9;
  state.counters["cpu_GFLOP/s"] = cpu_gflops;
  state.counters["pct_peak"] = 100.0 * cpu_gflops / peak_gflops();
}

void BM_FmaPeak(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(peak_gflops());
  state.counters["GFLOP/s"] = peak_gflops();
}
BENCHMARK(BM_FmaPeak)->Iterations(1)->Unit(benchmark::kMillisecond);

// GEMM out[m x n] = a[m x k] · w[n x k]ᵀ + bias, at the encoder's shapes.
void BM_Gemm(benchmark::State& state, const char* path, DType wtype, Activation act) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  KernelConfig config;
  try {
    config = parse_gemm_path(path);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const auto a = random_floats(m * k, 1);
  const auto w = random_floats(n * k, 2, -0.1f, 0.1f);
  const auto bias = random_floats(n, 3);
  // F16/BF16 weights as the CPU backend holds them (BF16 packed for AMX where it runs them).
  std::vector<uint16_t> w16(w.size());
  if (wtype == DType::BF16) {
    float_to_bf16(w.data(), w16.data(), w.size());
    if (config.amx) {
      std::vector<uint16_t> packed(amx_packed_size(n, k));
      amx_pack_weights(w16.data(), n, k, packed.data());
      w16 = std::move(packed);
    }
  } else {
    float_to_half(w.data(), w16.data(), w.size());
  }
  std::vector<float> out(m * n);
  const WeightRef wr =
      wtype == DType::F32 ? WeightRef{w.data(), DType::F32} : WeightRef{w16.data(), wtype};
  peak_gflops();  // measured once, before any timed loop
  LoopTimer timer;
  for (auto _ : state) {
    gemm(config, a.data(), wr, bias.data(), act, out.data(), m, n, k, pool());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, timer, 2.0 * m * n * k);
  state.SetLabel(kernel_config_name(config) + (wtype == DType::F16    ? " w16"
                                               : wtype == DType::BF16 ? " bf16"
                                                                      : ""));
}

void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k"});
  b->Args({kTokens, 3 * kHidden, kHidden});  // QKV
  b->Args({kTokens, kHidden, kHidden});      // attention output
  b->Args({kTokens, kFfn, kHidden});         // FFN in (+GELU in the FFN-in benchmarks)
  b->Args({kTokens, kHidden, kFfn});         // FFN out
  b->Args({32, kHidden, kHidden});           // pooler / last layer on [CLS] rows
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
}

#define GEMM_BENCH(label, path, wtype)                                                  \
  BENCHMARK_CAPTURE(BM_Gemm, label, path, wtype, Activation::None)->Apply(gemm_shapes); \
  BENCHMARK_CAPTURE(BM_Gemm, label##_gelu, path, wtype, Activation::Gelu)               \
      ->Args({kTokens, kFfn, kHidden})                                                  \
      ->Unit(benchmark::kMillisecond)                                                   \
      ->UseRealTime()                                                                   \
      ->MinTime(0.5)

GEMM_BENCH(own, "own", DType::F32);
GEMM_BENCH(own_f16, "own", DType::F16);
GEMM_BENCH(own_avx2, "own-avx2", DType::F32);
GEMM_BENCH(own_avx2_f16, "own-avx2", DType::F16);
GEMM_BENCH(amx_bf16, "own-amx", DType::BF16);            // skipped where the CPU has no AMX
GEMM_BENCH(own_avx512_bf16, "own-avx512", DType::BF16);  // the F32 emulation of the same
GEMM_BENCH(blas, "blas", DType::F32);
GEMM_BENCH(eigen, "eigen", DType::F32);

// The INT8 GEMM (`--dtype int8`) with one integer kernel: the activation quantization, the
// integer kernel and the epilogue, as the encoder calls it (GFLOP/s count each MAC as 2 ops).
void BM_GemmInt8(benchmark::State& state, Int8Kernel kernel, Activation act) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  if (!int8_kernel_available(kernel, detect_isa())) {
    state.SkipWithError("INT8 kernel not available here");
    return;
  }
  const auto a = random_floats(m * k, 1);
  const auto w = random_floats(n * k, 2, -0.1f, 0.1f);
  const auto bias = random_floats(n, 3);
  const auto packed = pack_int8(w.data(), n, k);
  std::vector<float> out(m * n);
  peak_gflops();
  LoopTimer timer;
  for (auto _ : state) {
    gemm_int8(kernel, detect_isa(), a.data(), packed->int8, bias.data(), act, out.data(), m,
              pool());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, timer, 2.0 * m * n * k);
  state.SetLabel(int8_kernel_name(kernel));
}
#define GEMM_INT8_BENCH(label, kernel)                                                 \
  BENCHMARK_CAPTURE(BM_GemmInt8, label, kernel, Activation::None)->Apply(gemm_shapes); \
  BENCHMARK_CAPTURE(BM_GemmInt8, label##_gelu, kernel, Activation::Gelu)               \
      ->Args({kTokens, kFfn, kHidden})                                                 \
      ->Unit(benchmark::kMillisecond)                                                  \
      ->UseRealTime()                                                                  \
      ->MinTime(0.5)
GEMM_INT8_BENCH(avx512vnni, Int8Kernel::Avx512Vnni);
GEMM_INT8_BENCH(avxvnni, Int8Kernel::AvxVnni);
GEMM_INT8_BENCH(avx2, Int8Kernel::Avx2);

// A packed batch of `seqs` sequences of about `len` tokens (lengths spread +-25%).
std::vector<int32_t> offsets_for(int seqs, int len) {
  std::vector<int32_t> off{0};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(len * 3 / 4, len * 5 / 4);
  for (int s = 0; s < seqs; ++s) off.push_back(off.back() + d(rng));
  return off;
}

void BM_Attention(benchmark::State& state, Isa isa) {
  if (isa > detect_isa()) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const auto off = offsets_for(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const int64_t t = off.back();
  const auto qkv = random_floats(t * 3 * kHidden, 4, -2.0f, 2.0f);
  std::vector<float> out(t * kHidden);
  double flops = 0;  // QKᵀ and P·V
  for (size_t s = 0; s + 1 < off.size(); ++s) {
    const double len = off[s + 1] - off[s];
    flops += 4.0 * len * len * kHidden;
  }
  peak_gflops();
  LoopTimer timer;
  for (auto _ : state) {
    attention(isa, qkv.data(), off.data(), static_cast<int>(off.size() - 1), kHidden, kHeads, false,
              out.data(), pool());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, timer, flops);
  state.SetLabel(isa_name(isa));
}
void attention_shape(benchmark::internal::Benchmark* b) {
  b->ArgNames({"seqs", "len"})->Args({32, 95})->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK_CAPTURE(BM_Attention, avx512, Isa::Avx512)->Apply(attention_shape);
BENCHMARK_CAPTURE(BM_Attention, avx2, Isa::Avx2)->Apply(attention_shape);
BENCHMARK_CAPTURE(BM_Attention, generic, Isa::Generic)->Apply(attention_shape);

void BM_AddLayerNorm(benchmark::State& state, Isa isa) {
  if (isa > detect_isa()) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const int64_t rows = kTokens, cols = kHidden;
  const auto x = random_floats(rows * cols, 5), r = random_floats(rows * cols, 6);
  const auto g = random_floats(cols, 7, 0.5f, 1.5f), b = random_floats(cols, 8);
  std::vector<float> out(rows * cols);
  for (auto _ : state) {
    add_layernorm(isa, x.data(), r.data(), g.data(), b.data(), 1e-12f, out.data(), rows, cols,
                  pool());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * rows * cols * 3 * sizeof(float));
  state.SetLabel(isa_name(isa));
}
void elementwise_shape(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK_CAPTURE(BM_AddLayerNorm, avx512, Isa::Avx512)->Apply(elementwise_shape);
BENCHMARK_CAPTURE(BM_AddLayerNorm, avx2, Isa::Avx2)->Apply(elementwise_shape);
BENCHMARK_CAPTURE(BM_AddLayerNorm, generic, Isa::Generic)->Apply(elementwise_shape);

// Bias + GELU over the FFN-in output (what the library GEMM paths run after the GEMM).
void BM_BiasGelu(benchmark::State& state, Isa isa) {
  if (isa > detect_isa()) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const int64_t rows = kTokens, cols = kFfn;
  const auto x = random_floats(rows * cols, 9, -4.0f, 4.0f), b = random_floats(cols, 10);
  std::vector<float> out(x);
  for (auto _ : state) {
    bias_activation(isa, out.data(), b.data(), rows, cols, Activation::Gelu, pool());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["Gelem/s"] =
      benchmark::Counter(1e-9 * rows * cols * state.iterations(), benchmark::Counter::kIsRate);
  state.SetLabel(isa_name(isa));
}
BENCHMARK_CAPTURE(BM_BiasGelu, avx512, Isa::Avx512)->Apply(elementwise_shape);
BENCHMARK_CAPTURE(BM_BiasGelu, avx2, Isa::Avx2)->Apply(elementwise_shape);
BENCHMARK_CAPTURE(BM_BiasGelu, generic, Isa::Generic)->Apply(elementwise_shape);

}  // namespace
}  // namespace crossenc::cpu

BENCHMARK_MAIN();
