// The Winograd F(2x2, 3x3) grouped convolution (backend/cpu/conv_winograd_3x3.h) against the
// reference convolution, on nChw8c, nChw16c and nhwc data, with AVX2's and (where the CPU has it)
// AVX-512's GEMMs: 16 to 128 channels per group (one to eight 16-channel slices), even and odd
// sizes (tiles cut by the map's last row and column), runs of 1 to 24 tiles, maps cut into
// strips, several images, with and without the ReLU.
#include <gtest/gtest.h>

#include "backend/cpu/conv_winograd_3x3.h"
#include "blocked_layout.h"
#include "lucid/ops.h"

namespace lucid {
namespace {

using testing::expect_matches_reference_on_every_blocking;
using testing::uniform;

struct Case {
  int64_t n, c, groups, h, w;
  bool relu;
};

class Winograd3x3 : public ::testing::TestWithParam<Case> {};

TEST_P(Winograd3x3, MatchesReferenceConvolution) {
  const Case k = GetParam();
  const int64_t cg = k.c / k.groups;
  const Shape xs{k.n, k.c, k.h, k.w}, ws{k.c, cg, 3, 3};
  const ops::Conv2dOptions options{.stride = {1, 1}, .padding = {1, 1}, .groups = k.groups};
  if (!backend::cpu::winograd_3x3_supported(ws, options)) GTEST_SKIP() << "this CPU lacks AVX2/FMA";

  std::mt19937 rng(unsigned(k.c * 1000 + k.h * 10 + k.w));
  const std::vector<float> x = uniform(size_t(numel(xs)), rng), w = uniform(size_t(numel(ws)), rng);
  const std::vector<float> b = uniform(size_t(k.c), rng);
  const Shape ys{k.n, k.c, k.h, k.w};

  // The GEMMs on AVX2's register tile, and on AVX-512's where this CPU has it.
  for (const bool wide : {false, true}) {
    if (wide && !backend::cpu::cpu_has_avx512f()) continue;
    SCOPED_TRACE(wide ? "AVX-512 GEMMs" : "AVX2 GEMMs");
    const auto conv = backend::cpu::pack_winograd_3x3(w.data(), b.data(), k.c, k.groups, k.relu, wide);
    ASSERT_EQ(conv.wide_gemm, wide);
    // Sums of up to 9 x 64 + 1 products of values in [-1, 1], in float, through transforms that
    // add up to 16 terms.
    expect_matches_reference_on_every_blocking(x, xs, w, ws, b, options, ys, k.relu, 1e-4,
                                               [&](const float* src, float* dst, int64_t lanes) {
                                                 backend::cpu::run_winograd_3x3(conv, src, dst, k.n, k.h, k.w, lanes);
                                               });
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Winograd3x3,
                         ::testing::Values(Case{1, 32, 2, 14, 14, true},  // 16 per group: 49 tiles, 9 runs (6 + 5)
                                           Case{2, 64, 2, 13, 13, false},  // 32 per group, odd: the last tiles cut
                                           Case{1, 128, 2, 7, 9, true},    // 64 per group: 4 x 5 tiles
                                           Case{1, 32, 2, 1, 1, true},     // one pixel: one tile, cut both ways
                                           Case{1, 32, 2, 2, 2, false},    // one whole tile
                                           Case{1, 32, 2, 4, 6, true},     // 6 tiles: one run of 6
                                           Case{1, 32, 2, 3, 9, false},    // 10 tiles: runs of 5
                                           Case{1, 32, 2, 6, 3, true},     // 6 tiles, odd width
                                           Case{3, 48, 3, 5, 4, true},     // three images, 16 per group
                                           Case{1, 64, 2, 2, 8, true},     // 4 tiles: a run of 4
                                           Case{1, 64, 2, 2, 6, true},     // 3 tiles
                                           Case{1, 64, 2, 4, 4, false},    // 4 tiles in 2 rows
                                           Case{1, 64, 2, 2, 4, true},    // 2 tiles
                                           // AVX-512's register tile: runs of 7-12 tiles (32 per
                                           // group), 13-24 (16 per group)
                                           Case{1, 64, 2, 2, 14, true}, Case{1, 64, 2, 2, 18, false},
                                           Case{1, 64, 2, 2, 22, true}, Case{1, 64, 2, 4, 12, false},
                                           Case{1, 32, 2, 2, 26, true}, Case{1, 32, 2, 2, 34, false},
                                           Case{1, 32, 2, 2, 46, true}, Case{1, 32, 2, 4, 24, false},
                                           // strips of tile rows: 4 x 4 + 3 (16 per group), 3 x 3
                                           // + 1 over two images (32), none with 128 (two images)
                                           Case{1, 32, 2, 30, 30, true}, Case{2, 64, 2, 20, 20, false},
                                           Case{2, 256, 2, 6, 6, true}));

// Where the kernel applies.
TEST(Winograd3x3Support, TakesStrideOnePaddingOneGroupsOfWholeSlices) {
  if (!backend::cpu::winograd_3x3_supported({64, 32, 3, 3}, {.padding = {1, 1}, .groups = 2}))
    GTEST_SKIP() << "this CPU lacks AVX2/FMA";
  EXPECT_FALSE(backend::cpu::winograd_3x3_supported({64, 8, 3, 3}, {.padding = {1, 1}, .groups = 8}));  // 8 per group
  EXPECT_FALSE(backend::cpu::winograd_3x3_supported({64, 32, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 2}));
  EXPECT_FALSE(backend::cpu::winograd_3x3_supported({64, 32, 3, 3}, {.padding = {0, 0}, .groups = 2}));
  EXPECT_FALSE(backend::cpu::winograd_3x3_supported({64, 64, 3, 3}, {.padding = {1, 1}, .groups = 1}));
  EXPECT_FALSE(backend::cpu::winograd_3x3_supported({64, 32, 1, 1}, {.groups = 2}));
}

}  // namespace
}  // namespace lucid
