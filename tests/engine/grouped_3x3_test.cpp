// The grouped 3x3 kernel for groups of whole 8-channel blocks (backend/cpu/conv_grouped_3x3.h)
// against the reference convolution, on nChw8c, nChw16c and nhwc data: 8 to 64 channels per
// group (one- and two-block register tiles; groups that start mid-way through a 16-channel
// block), strides 1 and 2 on even and odd sizes, every tile width of both kinds (rows split into
// near-equal tiles), groups copied together and maps in bands of rows with partial last ones,
// several images, with and without the ReLU.
#include <gtest/gtest.h>

#include "backend/cpu/conv_grouped_3x3.h"
#include "blocked_layout.h"
#include "lucid/ops.h"

namespace lucid {
namespace {

using testing::expect_matches_reference_on_every_blocking;
using testing::uniform;

struct Case {
  int64_t n, c, groups, h, w, stride;
  bool relu;
};

class Grouped3x3 : public ::testing::TestWithParam<Case> {};

TEST_P(Grouped3x3, MatchesReferenceConvolution) {
  const Case k = GetParam();
  const int64_t cg = k.c / k.groups;
  const Shape xs{k.n, k.c, k.h, k.w}, ws{k.c, cg, 3, 3};
  const ops::Conv2dOptions options{.stride = {k.stride, k.stride}, .padding = {1, 1}, .groups = k.groups};
  if (!backend::cpu::grouped_3x3_supported(ws, options)) GTEST_SKIP() << "this CPU lacks AVX2/FMA";

  std::mt19937 rng(unsigned(k.c * 1000 + k.w * 10 + k.stride));
  const std::vector<float> x = uniform(size_t(numel(xs)), rng), w = uniform(size_t(numel(ws)), rng);
  const std::vector<float> b = uniform(size_t(k.c), rng);
  const int64_t oh = (k.h - 1) / k.stride + 1, ow = (k.w - 1) / k.stride + 1;
  const Shape ys{k.n, k.c, oh, ow};

  const auto conv = backend::cpu::pack_grouped_3x3(w.data(), b.data(), k.c, k.groups, k.stride, k.relu);
  // Sums of up to 9 x 64 + 1 products of values in [-1, 1], in float.
  expect_matches_reference_on_every_blocking(x, xs, w, ws, b, options, ys, k.relu, 1e-4,
                                             [&](const float* src, float* dst, int64_t lanes) {
                                               backend::cpu::run_grouped_3x3(conv, src, dst, k.n, k.h, k.w, lanes);
                                             });
}

INSTANTIATE_TEST_SUITE_P(Shapes, Grouped3x3,
                         ::testing::Values(Case{1, 16, 2, 5, 13, 1, true},   // 8 per group: tiles 7 + 6
                                           Case{2, 24, 3, 4, 11, 1, false},  // 8 per group, two images
                                           Case{1, 32, 2, 3, 7, 1, true},    // 16 per group: 4 + 3
                                           Case{1, 32, 2, 6, 5, 1, false},   // 16 per group: one tile of 5
                                           Case{1, 48, 2, 3, 4, 1, true},    // 24 per group: three 8-wide tiles
                                           Case{2, 64, 2, 7, 7, 1, true},    // 32 per group, ResNeXt's 7 x 7
                                           Case{1, 16, 2, 8, 8, 2, true},    // stride 2, even
                                           Case{1, 32, 2, 7, 9, 2, false},   // stride 2, odd
                                           Case{2, 64, 4, 14, 14, 2, true},  // stride 2, 16 per group
                                           Case{1, 16, 2, 1, 1, 1, true},    // one pixel
                                           Case{1, 16, 2, 2, 26, 1, false},  // 9 + 9 + 8
                                           Case{1, 64, 2, 3, 3, 1, true},    // 32 per group, 3 wide
                                           Case{1, 96, 2, 5, 6, 1, true},    // 48 per group
                                           Case{2, 48, 2, 3, 5, 1, true},    // 24 per group: starts mid-block
                                           Case{1, 48, 3, 4, 4, 2, false},   // 16 per group, stride 2
                                           Case{2, 128, 2, 4, 7, 2, true},   // 64 per group, stride 2
                                           Case{1, 80, 2, 3, 5, 1, false},   // 40 per group: 8-wide tiles
                                           Case{1, 32, 2, 2, 1, 1, true},    // two-block tiles of 1 and 2
                                           Case{1, 32, 2, 2, 2, 1, false},
                                           Case{1, 16, 2, 2, 12, 1, true},   // one-block tiles of 12, 10, 3, 2
                                           Case{1, 16, 2, 3, 10, 1, false},
                                           Case{1, 16, 2, 2, 3, 1, true},
                                           Case{1, 16, 2, 2, 2, 1, true},
                                           // 10 groups of 8, copied 8 + 2 together on nhwc and
                                           // nChw16c; 19 output rows: bands of 8 + 8 + 3
                                           Case{2, 80, 10, 37, 6, 2, true},
                                           Case{1, 112, 7, 18, 5, 1, false}));  // 7 of 16: 4 + 3; 8 + 8 + 2

}  // namespace
}  // namespace lucid
