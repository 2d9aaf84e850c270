// The backend configurations every parameterised test runs on, and how to create them.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "crossenc/backend.h"
#include "crossenc/error.h"

namespace crossenc::test {

struct BackendCase {
  std::string label;    // test-name suffix
  std::string backend;  // make_backend name
  std::string gemm;     // CPU GEMM path
};

inline std::vector<BackendCase> backend_cases() {
  return {{"cpu_own", "cpu", "own"},            // best ISA here (AVX-512 or AVX2)
          {"cpu_own_avx2", "cpu", "own-avx2"},  // AVX2 kernels for every op
          {"cpu_blas", "cpu", "blas"},
          {"cpu_eigen", "cpu", "eigen"},
          {"cpu_reference", "cpu", "reference"},
          {"vulkan", "vulkan", "auto"}};
}

// gtest prints parameters in failure messages: the label, not a byte dump.
inline void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.label; }

inline std::string case_name(const testing::TestParamInfo<BackendCase>& info) {
  return info.param.label;
}

inline bool vulkan_required() {
  const char* env = std::getenv("CROSSENC_REQUIRE_VULKAN");
  return env && std::string(env) == "1";
}

// Creates the backend, or returns null after GTEST_SKIP/FAIL when Vulkan is unavailable.
inline std::unique_ptr<Backend> try_make_backend(const BackendCase& c, int threads = 2) {
  try {
    return make_backend({.name = c.backend, .threads = threads, .gemm = c.gemm});
  } catch (const Error& e) {
    if (c.backend != "vulkan") throw;
    if (vulkan_required()) {
      ADD_FAILURE() << "Vulkan required (CROSSENC_REQUIRE_VULKAN=1) but unavailable: " << e.what();
    }
    return nullptr;
  }
}

}  // namespace crossenc::test

// Skips the current test when the backend could not be created.
#define CROSSENC_BACKEND_OR_SKIP(var, param)            \
  auto var = ::crossenc::test::try_make_backend(param); \
  if (!var) GTEST_SKIP() << "no Vulkan device (set CROSSENC_REQUIRE_VULKAN=1 to fail)"
