// Helpers for the tests of lucid's nChw8c kernels: random data, the plain -> nChw8c layout, and
// the reference convolution's output in that layout.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "backend/kernels.h"
#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::testing {

inline std::vector<float> uniform(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// (N, C, H, W) plain -> nChw8c.
inline std::vector<float> to_blocked(const std::vector<float>& plain, const Shape& s) {
  std::vector<float> out(plain.size());
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t i = 0; i < s[2] * s[3]; ++i)
        out[size_t(((n * (s[1] / 8) + c / 8) * s[2] * s[3] + i) * 8 + c % 8)] = plain[size_t((n * s[1] + c) * s[2] * s[3] + i)];
  return out;
}

// The reference convolution of plain x (xs) by w (ws) and bias b, ReLU'd when asked, as nChw8c
// of shape ys.
inline std::vector<float> reference_blocked(const std::vector<float>& x, const Shape& xs, const std::vector<float>& w,
                                            const Shape& ws, const std::vector<float>& b,
                                            const ops::Conv2dOptions& options, const Shape& ys, bool relu) {
  Tensor want = Tensor::empty(ys);
  backend::reference_kernels().conv2d(Tensor::from_vector(xs, x), Tensor::from_vector(ws, w),
                                      Tensor::from_vector({ws[0]}, b), options, want);
  std::vector<float> expected = want.to_vector();
  if (relu)
    for (float& v : expected) v = std::max(v, 0.0f);
  return to_blocked(expected, ys);
}

// Infinite where a value is NaN (an output the kernel never wrote, when dst starts as NaN).
inline double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(double(a[i]) - double(b[i]));
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace lucid::testing
