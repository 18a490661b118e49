// The AVX-512 grouped 3x3 kernel for 4, 8 and 16 channels per group
// (backend/cpu/conv_small_groups_avx512.h) against the reference convolution, on nChw16c and nhwc
// data: widths split into tiles of every size (1-12 with 4 or 16 per group, 1-8 with 8), a
// one-pixel-wide image, several images and blocks, strides 1 and 2 (even and odd sizes: with and
// without the right padding column, a last band of one row), with and without the ReLU.
#include <gtest/gtest.h>

#include "backend/cpu/conv_small_groups_avx512.h"
#include "blocked_layout.h"
#include "lucid/ops.h"

namespace lucid {
namespace {

using testing::expect_matches_reference_on_every_blocking;
using testing::uniform;

struct Case {
  int64_t n, c, group_channels, h, w;
  bool relu;
  int64_t stride = 1;
};

class SmallGroups16 : public ::testing::TestWithParam<Case> {};

TEST_P(SmallGroups16, MatchesReferenceConvolution) {
  const Case k = GetParam();
  const Shape xs{k.n, k.c, k.h, k.w}, ws{k.c, k.group_channels, 3, 3};
  const ops::Conv2dOptions options{
      .stride = {k.stride, k.stride}, .padding = {1, 1}, .groups = k.c / k.group_channels};
  if (!backend::cpu::small_groups_16_supported(ws, options)) GTEST_SKIP() << "this CPU lacks AVX-512";

  std::mt19937 rng(unsigned(k.c * 1000 + k.w * 10 + k.group_channels + k.stride * 7));
  const std::vector<float> x = uniform(size_t(numel(xs)), rng), w = uniform(size_t(numel(ws)), rng);
  const std::vector<float> b = uniform(size_t(k.c), rng);

  const Shape ys{k.n, k.c, (k.h - 1) / k.stride + 1, (k.w - 1) / k.stride + 1};
  const auto conv = backend::cpu::pack_small_groups_16(w.data(), b.data(), k.c, k.group_channels, k.stride, k.relu);
  // |sums of up to 72 products of values in [-1, 1]| < 73
  expect_matches_reference_on_every_blocking(
      x, xs, w, ws, b, options, ys, k.relu, 1e-5,
      [&](const float* src, float* dst, int64_t lanes) {
        backend::cpu::run_small_groups_16(conv, src, dst, k.n, k.h, k.w, lanes);
      },
      16);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SmallGroups16,
                         ::testing::Values(Case{1, 16, 4, 3, 1, false}, Case{2, 32, 4, 5, 13, true},
                                           Case{1, 48, 8, 7, 7, false}, Case{1, 16, 8, 4, 16, true},
                                           Case{2, 16, 4, 2, 20, false}, Case{1, 16, 8, 3, 3, true},
                                           Case{1, 32, 8, 2, 14, false}, Case{1, 16, 4, 3, 10, true},
                                           Case{1, 16, 8, 1, 6, true}, Case{1, 16, 4, 3, 2, false},
                                           Case{1, 128, 4, 6, 56, true}, Case{1, 256, 8, 5, 28, true},
                                           Case{1, 16, 4, 3, 9, true}, Case{1, 16, 4, 2, 12, false},
                                           Case{1, 16, 4, 3, 23, true}, Case{1, 16, 4, 2, 5, false},
                                           Case{1, 16, 4, 2, 4, true}, Case{1, 16, 4, 2, 3, true},
                                           // 16 per group: one group per vector
                                           Case{1, 16, 16, 3, 12, true}, Case{1, 16, 16, 2, 23, false},
                                           Case{1, 16, 16, 2, 10, true}, Case{1, 16, 16, 3, 3, false},
                                           Case{1, 16, 16, 2, 8, true},
                                           Case{1, 16, 16, 3, 9, true}, Case{2, 48, 16, 5, 7, false},
                                           Case{1, 32, 16, 4, 1, true}, Case{1, 256, 16, 3, 14, true},
                                           // 295 KB of weights: block by block rather than band by band
                                           Case{2, 512, 16, 3, 5, true},
                                           // stride 2: output widths ending in every tile size,
                                           // odd sizes (a right padding column), one-row last bands
                                           Case{1, 16, 4, 8, 16, true, 2}, Case{2, 32, 4, 7, 13, false, 2},
                                           Case{1, 48, 8, 9, 15, true, 2}, Case{1, 16, 8, 4, 30, false, 2},
                                           Case{1, 256, 8, 6, 56, true, 2}, Case{1, 16, 8, 1, 1, true, 2},
                                           Case{1, 16, 16, 5, 11, true, 2}, Case{2, 48, 16, 6, 4, false, 2},
                                           Case{1, 16, 4, 3, 6, true, 2}, Case{1, 16, 8, 2, 12, false, 2},
                                           Case{1, 16, 16, 3, 8, true, 2}, Case{1, 16, 4, 2, 10, true, 2},
                                           Case{1, 512, 16, 4, 28, true, 2}));

// Where the kernel applies.
TEST(SmallGroups16Support, TakesFourEightOrSixteenPerGroupStrideOneOrTwoOnWholeVectors) {
  using backend::cpu::small_groups_16_supported;
  if (!small_groups_16_supported({64, 4, 3, 3}, {.padding = {1, 1}, .groups = 16})) GTEST_SKIP() << "this CPU lacks AVX-512";
  EXPECT_TRUE(small_groups_16_supported({64, 8, 3, 3}, {.padding = {1, 1}, .groups = 8}));
  EXPECT_TRUE(small_groups_16_supported({64, 16, 3, 3}, {.padding = {1, 1}, .groups = 4}));
  EXPECT_FALSE(small_groups_16_supported({64, 32, 3, 3}, {.padding = {1, 1}, .groups = 2}));  // 32 per group
  EXPECT_FALSE(small_groups_16_supported({24, 4, 3, 3}, {.padding = {1, 1}, .groups = 6}));   // 24 channels
  EXPECT_TRUE(small_groups_16_supported({64, 8, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 8}));
  EXPECT_FALSE(small_groups_16_supported({64, 8, 3, 3}, {.stride = {1, 2}, .padding = {1, 1}, .groups = 8}));
  EXPECT_FALSE(small_groups_16_supported({64, 8, 3, 3}, {.stride = {3, 3}, .padding = {1, 1}, .groups = 8}));
  EXPECT_FALSE(small_groups_16_supported({64, 8, 3, 3}, {.padding = {0, 0}, .groups = 8}));
  EXPECT_FALSE(small_groups_16_supported({64, 8, 1, 1}, {.groups = 8}));
}

}  // namespace
}  // namespace lucid
