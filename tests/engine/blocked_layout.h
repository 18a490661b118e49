// Helpers for the tests of lucid's channel-blocked kernels: random data, the plain -> blocked
// layouts (nChw8c, nChw16c, nhwc), and the reference convolution's output in them.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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

// (N, C, H, W) plain -> blocked by `lanes` channels: (N, C / lanes, H, W, lanes). 8: nChw8c,
// 16: nChw16c, C: nhwc.
inline std::vector<float> to_blocked(const std::vector<float>& plain, const Shape& s, int64_t lanes = 8) {
  std::vector<float> out(plain.size());
  const int64_t pixels = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t i = 0; i < pixels; ++i)
        out[size_t(((n * (s[1] / lanes) + c / lanes) * pixels + i) * lanes + c % lanes)] =
            plain[size_t((n * s[1] + c) * pixels + i)];
  return out;
}

// The channel blockings lucid's grouped kernels run on, for a tensor of `channels` channels:
// nChw8c, nChw16c where the channels fill its blocks, and nhwc.
inline std::vector<int64_t> channel_blockings(int64_t channels) {
  std::vector<int64_t> lanes{8};
  if (channels % 16 == 0) lanes.push_back(16);
  if (channels != lanes.back()) lanes.push_back(channels);
  return lanes;
}

// The reference convolution of plain x (xs) by w (ws) and bias b, ReLU'd when asked, of shape
// ys, blocked by `lanes` channels.
inline std::vector<float> reference_blocked(const std::vector<float>& x, const Shape& xs, const std::vector<float>& w,
                                            const Shape& ws, const std::vector<float>& b,
                                            const ops::Conv2dOptions& options, const Shape& ys, bool relu,
                                            int64_t lanes = 8) {
  Tensor want = Tensor::empty(ys);
  backend::reference_kernels().conv2d(Tensor::from_vector(xs, x), Tensor::from_vector(ws, w),
                                      Tensor::from_vector({ws[0]}, b), options, want);
  std::vector<float> expected = want.to_vector();
  if (relu)
    for (float& v : expected) v = std::max(v, 0.0f);
  return to_blocked(expected, ys, lanes);
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

// A kernel that reads and writes every channel blocking of at least min_lanes channels per block
// (run(src, dst, lanes)) against the reference convolution on each of them: max |difference|
// below `tolerance`, every output written.
template <class Run>
void expect_matches_reference_on_every_blocking(const std::vector<float>& x, const Shape& xs, const std::vector<float>& w,
                                                const Shape& ws, const std::vector<float>& b,
                                                const ops::Conv2dOptions& options, const Shape& ys, bool relu,
                                                double tolerance, Run run, int64_t min_lanes = 8) {
  for (const int64_t lanes : channel_blockings(xs[1])) {
    if (lanes < min_lanes) continue;
    SCOPED_TRACE("channels per layout block: " + std::to_string(lanes));
    const std::vector<float> expected = reference_blocked(x, xs, w, ws, b, options, ys, relu, lanes);
    const std::vector<float> src = to_blocked(x, xs, lanes);
    std::vector<float> dst(size_t(numel(ys)), std::nanf(""));
    run(src.data(), dst.data(), lanes);
    EXPECT_LT(max_abs_difference(dst, expected), tolerance);
  }
}

}  // namespace lucid::testing
