// GPTQ rounding (gptq.h): the column loop of the paper's Algorithm 1 without its lazy
// batching (the matrices here are at most 1536 wide; a few seconds per model).
#include "crossenc/gptq.h"

#include <algorithm>
#include <cmath>

#include "crossenc/error.h"
#include "crossenc/quantize.h"

namespace crossenc {

void InputGram::add_rows(const float* x, int64_t m) {
  // A block of rows at a time: acc[j] += x[r, i] * x[r, j] runs along contiguous rows (it
  // vectorizes as an axpy), in float over <= 64 rows, then into the double sum.
  constexpr int64_t kBlock = 64;
  std::vector<float> acc(static_cast<size_t>(k));
  for (int64_t r0 = 0; r0 < m; r0 += kBlock) {
    const int64_t r1 = std::min(m, r0 + kBlock);
    for (int64_t i = 0; i < k; ++i) {
      std::fill(acc.begin(), acc.begin() + i + 1, 0.0f);
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = x + r * k;
        const float a = row[i];
        for (int64_t j = 0; j <= i; ++j) acc[j] += a * row[j];
      }
      double* s = sum.data() + i * k;
      for (int64_t j = 0; j <= i; ++j) s[j] += acc[j];
    }
  }
  rows += m;
  // Only the lower triangle was summed: mirror it (cheap next to the sums).
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = i + 1; j < k; ++j) sum[i * k + j] = sum[j * k + i];
  }
}

namespace {

// sum_c a[c] * b[c] over four interleaved sums: one running sum would wait on each add's
// latency (the factorization below spent most of a conversion there).
double dot(const double* a, const double* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t c = 0;
  for (; c + 4 <= n; c += 4) {
    s0 += a[c] * b[c];
    s1 += a[c + 1] * b[c + 1];
    s2 += a[c + 2] * b[c + 2];
    s3 += a[c + 3] * b[c + 3];
  }
  for (; c < n; ++c) s0 += a[c] * b[c];
  return (s0 + s1) + (s2 + s3);
}

// In place: the lower Cholesky factor of the symmetric positive definite a [k x k] (the upper
// triangle is left as zeros). Throws Error if a is not positive definite.
void cholesky_lower(std::vector<double>& a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double* aj = a.data() + j * k;
    const double d = aj[j] - dot(aj, aj, j);
    if (!(d > 0)) throw Error("GPTQ: the calibration Gram matrix is not positive definite");
    const double l = std::sqrt(d);
    aj[j] = l;
    for (int64_t i = j + 1; i < k; ++i) {
      double* ai = a.data() + i * k;
      ai[j] = (ai[j] - dot(ai, aj, j)) / l;
    }
    for (int64_t c = j + 1; c < k; ++c) aj[c] = 0;
  }
}

// The upper triangular u with uᵀu = h⁻¹ (what the column loop needs: row i of u, scaled by
// 1 / u[i, i], says how column i's error is shared among the later columns). With j the
// reversal of the index order and l the lower Cholesky factor of j h j, h⁻¹ = (j l⁻ᵀ j)(j l⁻¹ j)
// and j l⁻¹ j is upper triangular: one factorization and one triangular inverse.
std::vector<double> inverse_cholesky_upper(const std::vector<double>& h, int64_t k) {
  std::vector<double> l(static_cast<size_t>(k * k));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t c = 0; c < k; ++c) l[i * k + c] = h[(k - 1 - i) * k + (k - 1 - c)];
  }
  cholesky_lower(l, k);
  // li = l⁻¹ (lower), a row at a time: row i = (e_i - sum_{c<i} l[i, c] * row c) / l[i, i],
  // each term an axpy over a contiguous row.
  std::vector<double> li(static_cast<size_t>(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i) {
    double* out = li.data() + i * k;
    for (int64_t c = 0; c < i; ++c) {
      const double a = l[i * k + c];
      const double* lc = li.data() + c * k;
      for (int64_t j = 0; j <= c; ++j) out[j] -= a * lc[j];
    }
    out[i] = 1;
    const double d = l[i * k + i];
    for (int64_t j = 0; j <= i; ++j) out[j] /= d;
  }
  std::vector<double> u(static_cast<size_t>(k * k));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t c = 0; c < k; ++c) u[i * k + c] = li[(k - 1 - i) * k + (k - 1 - c)];
  }
  return u;
}

}  // namespace

void quantize_rows_int8_gptq(const float* w, int64_t n, int64_t k, const InputGram& gram, int8_t* q,
                             float* scales, double damp) {
  if (gram.k != k || gram.rows <= 0) {
    throw Error("GPTQ: calibration statistics of width " + std::to_string(gram.k) + " over " +
                std::to_string(gram.rows) + " rows for a matrix of width " + std::to_string(k));
  }
  quantize_rows_int8(w, n, k, q, scales);  // the scales (and the finiteness check)
  std::vector<double> h(static_cast<size_t>(k * k));
  double mean_diag = 0;
  for (int64_t i = 0; i < k * k; ++i) h[i] = gram.sum[i] / static_cast<double>(gram.rows);
  for (int64_t i = 0; i < k; ++i) {
    double& d = h[i * k + i];
    if (d == 0) d = 1;  // never excited: no error is pushed onto or from it
    mean_diag += d;
  }
  mean_diag /= static_cast<double>(k);
  for (int64_t i = 0; i < k; ++i) h[i * k + i] += damp * mean_diag;
  const std::vector<double> u = inverse_cholesky_upper(h, k);

  std::vector<double> row(static_cast<size_t>(k));
  for (int64_t j = 0; j < n; ++j) {
    const double s = scales[j];
    std::copy(w + j * k, w + (j + 1) * k, row.begin());
    for (int64_t c = 0; c < k; ++c) {
      const double level = std::clamp(std::nearbyint(row[c] / s), -127.0, 127.0);
      q[j * k + c] = static_cast<int8_t>(level);
      const double* uc = u.data() + c * k;
      const double err = (row[c] - level * s) / uc[c];
      for (int64_t i = c + 1; i < k; ++i) row[i] -= err * uc[i];
    }
  }
}

}  // namespace crossenc
