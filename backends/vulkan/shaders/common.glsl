// Shared GLSL helpers: weight-buffer declarations (f32, or f32/f16 by a run-time mask),
// an accurate erf for exact GELU, an overflow-safe tanh, and a workgroup sum.
#ifndef CROSSENC_COMMON_GLSL
#define CROSSENC_COMMON_GLSL

#ifdef HAS_F16
#extension GL_EXT_shader_16bit_storage : require
// Weights may be stored as f32 or f16; the same binding is viewed both ways and the push
// constant f16_mask says which view is live (a uniform branch, so no divergence).
#define DECLARE_WEIGHT(BINDING, NAME)                                                       \
  layout(binding = BINDING) readonly buffer NAME##_f32_block { float NAME##_f32[]; };       \
  layout(binding = BINDING) readonly buffer NAME##_f16_block { float16_t NAME##_f16[]; };
#define LOAD_WEIGHT(NAME, BIT, I) \
  (((pc.f16_mask & (BIT)) != 0u) ? float(NAME##_f16[I]) : NAME##_f32[I])
#else
// Devices without 16-bit storage get this variant: every weight is f32.
#define DECLARE_WEIGHT(BINDING, NAME) \
  layout(binding = BINDING) readonly buffer NAME##_f32_block { float NAME##_f32[]; };
#define LOAD_WEIGHT(NAME, BIT, I) (NAME##_f32[I])
#endif

// erf(x) through the Chebyshev-fitted erfc of Numerical Recipes (erfcc): relative error of
// erfc below 1.2e-7 for every x, so |erf error| stays near 1e-7 in float arithmetic
// (the 5-term Abramowitz-Stegun 7.1.26 form is only good to 1.5e-7 *before* rounding and
// degrades badly in float; this one keeps the exponent in one exp call).
float erf_accurate(float x) {
  float z = abs(x);
  float t = 1.0 / (1.0 + 0.5 * z);
  float p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277))))))));
  float erfc_z = t * exp(-z * z + p);
  float r = 1.0 - erfc_z;
  return x < 0.0 ? -r : r;
}

// GELU, exact erf form (what BERT's "gelu" means).
float gelu_erf(float x) { return 0.5 * x * (1.0 + erf_accurate(x * 0.7071067811865476)); }

// tanh from exp(-2|x|): never forms inf/inf (some drivers' tanh return NaN for large |x|).
float tanh_safe(float x) {
  float e = exp(-2.0 * abs(x));
  float r = (1.0 - e) / (1.0 + e);
  return x < 0.0 ? -r : r;
}

#ifdef WG_SIZE
shared float wg_red[WG_SIZE];
// Sum of v over the workgroup (tree in shared memory; portable, no subgroup features needed).
float wg_sum(float v) {
  uint i = gl_LocalInvocationIndex;
  wg_red[i] = v;
  barrier();
  for (uint s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
    if (i < s) wg_red[i] += wg_red[i + s];
    barrier();
  }
  float r = wg_red[0];
  barrier();  // wg_red is free again for the next call
  return r;
}
#endif

#endif  // CROSSENC_COMMON_GLSL
