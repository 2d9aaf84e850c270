// Vulkan-specific tests: device listing, creation errors, tile edges, FP16 weights, exact-erf
// GELU accuracy, arena growth, profiling, and a run under VK_LAYER_KHRONOS_validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "crossenc/backend.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "test_util.h"

#ifdef CROSSENC_HAVE_VULKAN
#include "crossenc/backends/vulkan.h"
#include "crossenc/engine.h"

namespace crossenc {
namespace {

bool vulkan_required() {
  const char* env = std::getenv("CROSSENC_REQUIRE_VULKAN");
  return env && std::string(env) == "1";
}

bool have_device() {
  for (const VulkanDeviceInfo& d : list_vulkan_devices())
    if (d.usable) return true;
  return false;
}

// Skips (or, with CROSSENC_REQUIRE_VULKAN=1, fails) when no usable Vulkan device exists.
#define REQUIRE_VULKAN_DEVICE()                                                                 \
  do {                                                                                          \
    if (!have_device()) {                                                                       \
      if (vulkan_required()) FAIL() << "CROSSENC_REQUIRE_VULKAN=1 but no usable Vulkan device"; \
      GTEST_SKIP() << "no Vulkan device";                                                       \
    }                                                                                           \
  } while (0)

std::vector<float> pseudo_random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::vector<float> v(n);
  uint32_t x = seed;
  for (auto& f : v) {
    x = x * 1664525u + 1013904223u;
    f = scale * (static_cast<float>(x >> 8) / 8388608.0f - 1.0f);  // [-scale, scale)
  }
  return v;
}

Tensor make(Backend& be, int64_t rows, int64_t cols, const std::vector<float>& values,
            DType dt = DType::F32) {
  Tensor t = be.scratch(rows, cols, dt);
  be.upload(values.data(), t);
  return t;
}

std::vector<float> read(Backend& be, const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  be.download(t, v.data());
  return v;
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// out = act(a · wᵀ + b) in double, with w (and b) as the device holds them.
std::vector<double> gemm_ref(const std::vector<float>& a, const std::vector<float>& w,
                             const std::vector<float>* b, int64_t m, int64_t n, int64_t k,
                             Activation act) {
  std::vector<double> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = b ? (*b)[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) s += double{a[i * k + p]} * w[j * k + p];
      if (act == Activation::Gelu) s = gelu(s);
      if (act == Activation::Tanh) s = std::tanh(s);
      out[i * n + j] = s;
    }
  return out;
}

double max_abs_err(const std::vector<float>& got, const std::vector<double>& want) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    worst = std::max(worst, std::fabs(got[i] - want[i]));
  }
  return worst;
}

std::vector<float> round_to_half(std::vector<float> v) {
  for (float& x : v) x = half_to_float(float_to_half(x));
  return v;
}

TEST(VulkanDevices, ListingNeverThrowsAndIsConsistent) {
  std::vector<VulkanDeviceInfo> devices;
  ASSERT_NO_THROW(devices = list_vulkan_devices());
  bool real_gpu = false;
  for (size_t i = 0; i < devices.size(); ++i) {
    const VulkanDeviceInfo& d = devices[i];
    EXPECT_EQ(d.index, static_cast<int>(i));
    EXPECT_FALSE(d.name.empty());
    EXPECT_TRUE(d.type == "discrete" || d.type == "integrated" || d.type == "virtual" ||
                d.type == "cpu" || d.type == "other")
        << d.type;
    EXPECT_FALSE(d.api_version.empty());
    EXPECT_EQ(d.usable, d.unusable_reason.empty());
    const std::string line = describe_vulkan_device(d);
    EXPECT_NE(line.find(d.name), std::string::npos) << line;
    if (d.usable && d.type != "cpu") real_gpu = true;
  }
  EXPECT_EQ(vulkan_has_real_gpu(), real_gpu);
  if (devices.empty() && vulkan_required())
    FAIL() << "CROSSENC_REQUIRE_VULKAN=1 but no device listed";
}

TEST(VulkanBackendCreation, NamesItselfAndItsDevice) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_backend({.name = "vulkan"});
  EXPECT_EQ(be->name(), "vulkan");
  EXPECT_FALSE(be->device_name().empty());
  EXPECT_EQ(be->profile_report(), "");  // profiling off
}

TEST(VulkanBackendCreation, DeviceIndexOutOfRangeIsAClearError) {
  REQUIRE_VULKAN_DEVICE();
  try {
    make_vulkan_backend({.name = "vulkan", .device = 999});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

TEST(VulkanBackendCreation, ExplicitDeviceIndexWorks) {
  REQUIRE_VULKAN_DEVICE();
  for (const VulkanDeviceInfo& d : list_vulkan_devices()) {
    if (!d.usable) continue;
    auto be = make_vulkan_backend({.name = "vulkan", .device = d.index});
    EXPECT_EQ(be->device_name(), d.name);
    break;
  }
}

TEST(VulkanOps, GemmTileEdgesAndEpilogues) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan"});
  // Sizes that are not multiples of the 64x64x16 tile, plus n = 1 (the classifier).
  struct Shape {
    int64_t m, n, k;
  };
  for (Shape s : {Shape{70, 33, 37}, Shape{1, 1, 5}, Shape{65, 129, 16}, Shape{3, 96, 32}}) {
    const auto a = pseudo_random(s.m * s.k, 1, 2.0f);
    const auto w = pseudo_random(s.n * s.k, 2, 0.5f);
    const auto b = pseudo_random(s.n, 3);
    Tensor ta = make(*be, s.m, s.k, a), tw = make(*be, s.n, s.k, w), tb = make(*be, 1, s.n, b);
    for (Activation act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
      for (bool bias : {false, true}) {
        Tensor out = be->scratch(s.m, s.n, DType::F32);
        be->gemm(ta, tw, bias ? &tb : nullptr, act, out);
        const double err =
            max_abs_err(read(*be, out), gemm_ref(a, w, bias ? &b : nullptr, s.m, s.n, s.k, act));
        EXPECT_LE(err, 1e-5) << s.m << "x" << s.n << "x" << s.k << " act " << static_cast<int>(act)
                             << " bias " << bias;
      }
    }
  }
}

TEST(VulkanOps, GeluUsesAnAccurateErf) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan"});
  // gelu(x) through a k = 1 GEMM with w = 1: the device's erf on a dense grid of [-8, 8].
  const int64_t n = 4097;
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -8.0f + 16.0f * static_cast<float>(i) / (n - 1);
  Tensor tx = make(*be, n, 1, x), tw = make(*be, 1, 1, {1.0f});
  Tensor out = be->scratch(n, 1, DType::F32);
  be->gemm(tx, tw, nullptr, Activation::Gelu, out);
  const auto got = read(*be, out);
  double worst_erf = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(x[i]) < 0.25) continue;  // erf = 2·gelu/x - 1 is ill-conditioned near 0
    const double erf_dev = 2.0 * got[i] / x[i] - 1.0;
    worst_erf = std::max(worst_erf, std::fabs(erf_dev - std::erf(x[i] / std::sqrt(2.0))));
    ASSERT_NEAR(got[i], gelu(x[i]), 2e-6) << "x = " << x[i];
  }
  EXPECT_LE(worst_erf, 1e-6);
  RecordProperty("max_erf_err", std::to_string(worst_erf));
}

TEST(VulkanOps, F16WeightsAccumulateInF32) {
  REQUIRE_VULKAN_DEVICE();
  bool has16 = false;
  for (const VulkanDeviceInfo& d : list_vulkan_devices()) has16 |= d.usable && d.storage_16bit;
  if (!has16) GTEST_SKIP() << "no device with 16-bit storage";
  auto be = make_vulkan_backend({.name = "vulkan"});
  const int64_t m = 40, n = 70, k = 384;  // MiniLM's k: long FP32 accumulation
  const auto a = pseudo_random(m * k, 4), w = pseudo_random(n * k, 5, 0.1f),
             b = pseudo_random(n, 6);
  Tensor ta = make(*be, m, k, a), tw = make(*be, n, k, w, DType::F16),
         tb = make(*be, 1, n, b, DType::F16);
  EXPECT_EQ(tw.dtype, DType::F16);
  Tensor out = be->scratch(m, n, DType::F32);
  be->gemm(ta, tw, &tb, Activation::Gelu, out);
  // Against the f16-rounded weights: only accumulation error remains.
  const auto w16 = round_to_half(w), b16 = round_to_half(b);
  EXPECT_LE(max_abs_err(read(*be, out), gemm_ref(a, w16, &b16, m, n, k, Activation::Gelu)), 1e-5);

  // LayerNorm with f16 gamma/beta, out aliasing x.
  const auto x = pseudo_random(m * n, 7, 3.0f), r = pseudo_random(m * n, 8),
             g = pseudo_random(n, 9), be_ = pseudo_random(n, 10);
  Tensor tx = make(*be, m, n, x), tr = make(*be, m, n, r), tg = make(*be, 1, n, g, DType::F16),
         tbe = make(*be, 1, n, be_, DType::F16);
  be->add_layernorm(tx, tr, tg, tbe, 1e-12f, tx);
  const auto g16 = round_to_half(g), b16b = round_to_half(be_);
  std::vector<double> want(m * n);
  for (int64_t i = 0; i < m; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) mean += double{x[i * n + j]} + r[i * n + j];
    mean /= n;
    for (int64_t j = 0; j < n; ++j) var += std::pow(double{x[i * n + j]} + r[i * n + j] - mean, 2);
    const double rstd = 1.0 / std::sqrt(var / n + 1e-12);
    for (int64_t j = 0; j < n; ++j)
      want[i * n + j] = (double{x[i * n + j]} + r[i * n + j] - mean) * rstd * g16[j] + b16b[j];
  }
  EXPECT_LE(max_abs_err(read(*be, tx), want), 1e-5);
}

TEST(VulkanOps, AttentionLongSequencesAndBlocks) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan"});
  // Lengths around the 16-query and 32-key blocks; head size 32 as in MiniLM.
  const int heads = 2, d = 32, h = heads * d;
  PackedBatch batch;
  for (int len : {1, 16, 17, 33, 70})
    batch.add(std::vector<int32_t>(len, 1), std::vector<int32_t>(len, 0));
  be->begin_batch(batch);
  const int64_t t = batch.total_tokens();
  const auto qkv = pseudo_random(t * 3 * h, 11, 2.0f);
  Tensor tq = make(*be, t, 3 * h, qkv);
  Tensor out = be->scratch(t, h, DType::F32), cls = be->scratch(batch.num_seqs(), h, DType::F32);
  be->attention(tq, heads, false, out);
  be->attention(tq, heads, true, cls);
  std::vector<double> want(t * h), want_cls(batch.num_seqs() * h);
  for (int s = 0; s < batch.num_seqs(); ++s) {
    const int st = batch.offsets[s], len = batch.offsets[s + 1] - st;
    for (int hd = 0; hd < heads; ++hd)
      for (int i = 0; i < len; ++i) {
        std::vector<double> p(len);
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < len; ++j) {
          double dot = 0;
          for (int e = 0; e < d; ++e)
            dot +=
                double{qkv[(st + i) * 3 * h + hd * d + e]} * qkv[(st + j) * 3 * h + h + hd * d + e];
          p[j] = dot / std::sqrt(double{d});
          mx = std::max(mx, p[j]);
        }
        for (double& v : p) sum += (v = std::exp(v - mx));
        for (int e = 0; e < d; ++e) {
          double acc = 0;
          for (int j = 0; j < len; ++j) acc += p[j] * qkv[(st + j) * 3 * h + 2 * h + hd * d + e];
          want[(st + i) * h + hd * d + e] = acc / sum;
          if (i == 0) want_cls[s * h + hd * d + e] = acc / sum;
        }
      }
  }
  EXPECT_LE(max_abs_err(read(*be, out), want), 1e-5);
  EXPECT_LE(max_abs_err(read(*be, cls), want_cls), 1e-5);
}

TEST(VulkanOps, ArenaGrowsAcrossBatches) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan"});
  PackedBatch batch;
  batch.add({1, 2, 3}, {0, 0, 1});
  for (int round = 0; round < 3; ++round) {
    be->begin_batch(batch);
    // Several 3 MiB tensors: more than one arena chunk in round 0, one merged chunk later.
    std::vector<Tensor> ts;
    std::vector<std::vector<float>> vals;
    for (int i = 0; i < 4; ++i) {
      vals.push_back(pseudo_random(768 * 1024, 20 + i + round));
      ts.push_back(make(*be, 768, 1024, vals.back()));
    }
    for (int i = 0; i < 4; ++i) EXPECT_EQ(read(*be, ts[i]), vals[i]) << "round " << round;
  }
}

TEST(VulkanOps, MisuseIsAClearError) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan"});
  Tensor a = be->scratch(4, 8, DType::F32), w = be->scratch(3, 7, DType::F32),
         out = be->scratch(4, 3, DType::F32);
  EXPECT_THROW(be->gemm(a, w, nullptr, Activation::None, out), Error);  // k mismatch
  Tensor bogus = a;
  bogus.buffer = 999999;
  std::vector<float> host(32);
  EXPECT_THROW(be->download(bogus, host.data()), Error);
  EXPECT_THROW(be->attention(a, 2, false, out), Error);  // no batch yet
}

// The tiny model end to end on F16 weights stays close to F32 (golden tests check the goldens).
TEST(VulkanEngine, F16CloseToF32AndProfiles) {
  REQUIRE_VULKAN_DEVICE();
  const auto model = test::data_path("tiny-random").string();
  const std::vector<Pair> pairs = {{"what is a flea", "A flea is a small jumping insect."},
                                   {"berlin population", "Berlin has 3.5 million inhabitants."}};
  auto f32 = Engine::open(model, {.backend = "vulkan", .dtype = DType::F32, .profile = true});
  auto f16 = Engine::open(model, {.backend = "vulkan", .dtype = DType::F16});
  auto cpu = Engine::open(model, {.backend = "cpu", .threads = 1});
  const auto s32 = f32.score(std::span<const Pair>(pairs)),
             s16 = f16.score(std::span<const Pair>(pairs)),
             sc = cpu.score(std::span<const Pair>(pairs));
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_NEAR(s32[i], sc[i], 1e-4);
    EXPECT_NEAR(s16[i], sc[i], 0.05);
  }
}

TEST(VulkanBackendProfile, ReportsPerOpTimes) {
  REQUIRE_VULKAN_DEVICE();
  auto be = make_vulkan_backend({.name = "vulkan", .profile = true});
  Tensor a = make(*be, 8, 16, pseudo_random(128, 1)), w = make(*be, 4, 16, pseudo_random(64, 2));
  PackedBatch batch;
  batch.add({1, 2}, {0, 1});
  be->begin_batch(batch);  // resets the profile
  a = make(*be, 8, 16, pseudo_random(128, 1));
  w = make(*be, 4, 16, pseudo_random(64, 2));
  Tensor out = be->scratch(8, 4, DType::F32);
  be->gemm(a, w, nullptr, Activation::Gelu, out);
  be->sync();
  const std::string report = be->profile_report();
  if (report.empty()) GTEST_SKIP() << "device has no compute timestamps";
  EXPECT_NE(report.find("gemm+gelu"), std::string::npos) << report;
}

// Everything above once more under the Khronos validation layer: zero errors allowed.
TEST(VulkanValidation, EncoderRunsWithoutValidationErrors) {
  REQUIRE_VULKAN_DEVICE();
  if (!vulkan_validation_available()) GTEST_SKIP() << "VK_LAYER_KHRONOS_validation not installed";
  setenv("CROSSENC_VULKAN_VALIDATION", "1", 1);
  const uint64_t before = vulkan_validation_error_count();
  {
    auto engine =
        Engine::open(test::data_path("tiny-random").string(),
                     {.backend = "vulkan", .batch_size = 2, .dtype = DType::F16, .profile = true});
    const std::vector<Pair> pairs = {
        {"q", "a short passage"}, {"another query", "p"}, {"x", "y z"}};
    const auto s = engine.score(std::span<const Pair>(pairs));
    ASSERT_EQ(s.size(), pairs.size());
    auto be = make_vulkan_backend({.name = "vulkan"});
    Tensor a = make(*be, 70, 33, pseudo_random(70 * 33, 1)),
           w = make(*be, 20, 33, pseudo_random(660, 2));
    Tensor out = be->scratch(70, 20, DType::F32);
    be->gemm(a, w, nullptr, Activation::Tanh, out);
    read(*be, out);
  }
  unsetenv("CROSSENC_VULKAN_VALIDATION");
  EXPECT_EQ(vulkan_validation_error_count(), before);
}

}  // namespace
}  // namespace crossenc

#else  // !CROSSENC_HAVE_VULKAN

TEST(VulkanBackend, NotBuilt) {
  try {
    crossenc::make_backend({.name = "vulkan"});
    FAIL() << "expected an Error";
  } catch (const crossenc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not built"), std::string::npos) << e.what();
  }
}

#endif
