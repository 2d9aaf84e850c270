// Branch-free float exp/erf/gelu that compilers vectorise inside plain loops.
// std::exp/std::erf are scalar library calls; these keep kernels SIMD (|rel err| ~ 1e-7).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace crossenc::cpu {

// exp(x) by range reduction x = k ln2 + r and a degree-6 polynomial (Cephes expf).
inline float exp_approx(float x) {
  x = std::fmin(std::fmax(x, -87.0f), 88.0f);
  const float k = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// erf(x) = 1 - erfc(|x|) with the Chebyshev-fitted erfc of Numerical Recipes (rel err < 1.2e-7).
inline float erf_approx(float x) {
  const float z = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  const float erfc = t * exp_approx(-z * z + p);
  const float r = 1.0f - erfc;
  return std::copysign(r, x);
}

// The exact (erf) GELU of BERT: x/2 (1 + erf(x/sqrt 2)).
inline float gelu(float x) { return 0.5f * x * (1.0f + erf_approx(x * 0.70710678118654752f)); }

}  // namespace crossenc::cpu
