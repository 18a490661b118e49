// The 1x1 kernel for small maps (backend/cpu/conv_1x1.h) against the reference convolution, on
// nChw8c data: every tile width (1-6 pixels), one and several 256-channel chunks (and a last
// chunk of one block), one and several images (one group of them and several), strides 1 and
// 2 on even and odd sizes, with and without the residual and the ReLU.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/conv_1x1.h"
#include "backend/cpu/simd.h"
#include "blocked_layout.h"
#include "lucid/ops.h"

namespace lucid {
namespace {

using testing::max_abs_difference;
using testing::reference_blocked;
using testing::to_blocked;
using testing::uniform;

struct Case {
  int64_t n, c, oc, h, w;
  bool residual, relu;
  int64_t stride = 1;
};

class Conv1x1 : public ::testing::TestWithParam<Case> {};

TEST_P(Conv1x1, MatchesReferenceConvolution) {
  const Case k = GetParam();
  const int64_t oh = (k.h - 1) / k.stride + 1, ow = (k.w - 1) / k.stride + 1;
  const Shape xs{k.n, k.c, k.h, k.w}, ws{k.oc, k.c, 1, 1}, ys{k.n, k.oc, oh, ow};
  const ops::Conv2dOptions options{.stride = {k.stride, k.stride}};
  if (!backend::cpu::conv_1x1_supported(ws, options)) GTEST_SKIP() << "this CPU lacks AVX2/FMA";

  std::mt19937 rng(unsigned(k.c * 1000 + k.oc + k.w));
  const std::vector<float> x = uniform(size_t(numel(xs)), rng), w = uniform(size_t(numel(ws)), rng);
  const std::vector<float> b = uniform(size_t(k.oc), rng), identity = uniform(size_t(numel(ys)), rng);
  std::vector<float> expected = reference_blocked(x, xs, w, ws, b, options, ys, false);
  const std::vector<float> identity_blocked = to_blocked(identity, ys);
  for (size_t i = 0; i < expected.size(); ++i) {
    if (k.residual) expected[i] += identity_blocked[i];
    if (k.relu) expected[i] = std::max(expected[i], 0.0f);
  }

  const auto conv = backend::cpu::pack_conv_1x1(w.data(), b.data(), k.oc, k.c, k.relu, k.residual, k.stride);
  const std::vector<float> src = to_blocked(x, xs);
  std::vector<float> dst = k.residual ? identity_blocked : std::vector<float>(size_t(numel(ys)), std::nanf(""));
  backend::cpu::run_conv_1x1(conv, src.data(), dst.data(), k.n, k.h, k.w);
  // Sums of c + 1 (or c + 2) products of values in [-1, 1], in float, in another order.
  EXPECT_LT(max_abs_difference(dst, expected), 2e-6 * double(k.c) + 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv1x1,
                         ::testing::Values(Case{1, 16, 16, 7, 7, false, true},      // tiles 6 x 4 + 5 x 5
                                           Case{1, 512, 32, 7, 7, true, true},      // two chunks, a residual
                                           Case{1, 264, 48, 4, 4, false, false},    // chunks of 32 + 1 blocks
                                           Case{2, 8, 16, 3, 3, true, false},       // two images: 5 + 4
                                           Case{3, 520, 32, 2, 3, false, true},     // three images, 6 wide
                                           Case{1, 2048, 16, 1, 1, false, true},    // one pixel, 8 chunks
                                           Case{1, 24, 16, 1, 2, true, true},       // 2 wide
                                           Case{1, 24, 16, 1, 3, false, false},     // 3 wide
                                           Case{1, 24, 32, 2, 2, true, false},      // 4 wide
                                           Case{1, 24, 16, 1, 5, false, true},      // 5 wide
                                           Case{1, 1024, 64, 7, 7, true, true},     // resnext's last stage
                                           Case{2, 256, 32, 14, 14, true, true},    // 33 tiles per image
                                           Case{8, 256, 16, 7, 7, false, true},     // groups of 5 + 3 images
                                           Case{1, 1024, 32, 14, 14, false, false, 2},  // the last downsample
                                           Case{2, 16, 16, 5, 7, true, true, 2},    // stride 2, odd: 3 x 4
                                           Case{1, 8, 16, 2, 2, false, true, 2}));  // one pixel of four

TEST(Conv1x1Choice, TakesBatchOneOntoMapsOf49PixelsOrFewer) {
  EXPECT_TRUE(backend::cpu::conv_1x1_preferred({1, 1024, 7, 7}, 1));
  EXPECT_FALSE(backend::cpu::conv_1x1_preferred({2, 1024, 7, 7}, 1));
  EXPECT_FALSE(backend::cpu::conv_1x1_preferred({1, 1024, 14, 14}, 1));
  EXPECT_TRUE(backend::cpu::conv_1x1_preferred({1, 1024, 14, 14}, 2));
  EXPECT_FALSE(backend::cpu::conv_1x1_preferred({1, 512, 28, 28}, 2));
}

TEST(Conv1x1Choice, NeedsStrideOneOrTwoNoGroupsAndWholeBlocks) {
  if (!backend::cpu::cpu_has_avx2_fma()) GTEST_SKIP() << "this CPU lacks AVX2/FMA";
  EXPECT_TRUE(backend::cpu::conv_1x1_supported({32, 16, 1, 1}, {}));
  EXPECT_TRUE(backend::cpu::conv_1x1_supported({32, 16, 1, 1}, {.stride = {2, 2}}));
  EXPECT_FALSE(backend::cpu::conv_1x1_supported({32, 16, 1, 1}, {.stride = {3, 3}}));
  EXPECT_FALSE(backend::cpu::conv_1x1_supported({32, 16, 1, 1}, {.stride = {1, 2}}));
  EXPECT_FALSE(backend::cpu::conv_1x1_supported({24, 16, 1, 1}, {}));  // 24 outputs: not whole 16-channel tiles
  EXPECT_FALSE(backend::cpu::conv_1x1_supported({32, 12, 1, 1}, {}));
  EXPECT_FALSE(backend::cpu::conv_1x1_supported({32, 16, 3, 3}, {.padding = {1, 1}}));
}

}  // namespace
}  // namespace lucid
