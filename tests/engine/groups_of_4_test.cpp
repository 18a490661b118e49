// The grouped 3x3 kernel with 4 channels per group (backend/cpu/conv_groups_of_4.h) against the
// reference convolution, on nChw8c, nChw16c and nhwc data: widths that end in every tile size (1-8), a
// one-pixel-wide image, several images and blocks, with and without the ReLU.
#include <gtest/gtest.h>

#include "backend/cpu/conv_groups_of_4.h"
#include "blocked_layout.h"
#include "lucid/ops.h"

namespace lucid {
namespace {

using testing::expect_matches_reference_on_every_blocking;
using testing::uniform;

struct Case {
  int64_t n, c, h, w;
  bool relu;
};

class GroupsOf4 : public ::testing::TestWithParam<Case> {};

TEST_P(GroupsOf4, MatchesReferenceConvolution) {
  const Case k = GetParam();
  const Shape xs{k.n, k.c, k.h, k.w}, ws{k.c, 4, 3, 3};
  const ops::Conv2dOptions options{.padding = {1, 1}, .groups = k.c / 4};
  if (!backend::cpu::groups_of_4_supported(ws, options)) GTEST_SKIP() << "this CPU lacks AVX2/FMA";

  std::mt19937 rng(unsigned(k.c * 1000 + k.w));
  const std::vector<float> x = uniform(size_t(numel(xs)), rng), w = uniform(size_t(numel(ws)), rng);
  const std::vector<float> b = uniform(size_t(k.c), rng);
  const auto conv = backend::cpu::pack_groups_of_4(w.data(), b.data(), k.c, k.relu);
  // |sums of 36 products of values in [-1, 1]| < 37
  expect_matches_reference_on_every_blocking(x, xs, w, ws, b, options, xs, k.relu, 1e-5,
                                             [&](const float* src, float* dst, int64_t lanes) {
                                               backend::cpu::run_groups_of_4(conv, src, dst, k.n, k.h, k.w, lanes);
                                             });
}

INSTANTIATE_TEST_SUITE_P(Shapes, GroupsOf4,
                         ::testing::Values(Case{1, 8, 3, 1, false}, Case{2, 16, 5, 13, true}, Case{1, 24, 7, 7, false},
                                           Case{1, 8, 4, 16, true}, Case{2, 8, 2, 20, false},
                                           Case{1, 8, 3, 3, true}, Case{1, 16, 2, 14, false},
                                           Case{1, 8, 3, 10, true}, Case{1, 128, 6, 56, true}));

}  // namespace
}  // namespace lucid
