#include "backend/cpu/conv_winograd_3x3.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/channel_blocks.h"
#include "backend/cpu/fma_block.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/tile_width.h"

// GCC 12 reports an intrinsic's own undefined pass-through operand (vextractf64x4's) as used
// uninitialized: a known false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace lucid::backend::cpu {
namespace {

// F(2x2, 3x3) (Lavin and Gray, 2015): Y = A^T [(G g G^T) * (B^T d B)] A for a 4 x 4 input tile
// d and 3 x 3 filter g, with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
constexpr int64_t kBlock = 8;      // channels per nChw8c block
constexpr int64_t kLanes = 16;     // output channels per slice (a register tile takes one or two)
constexpr int64_t kPoints = 16;    // points of the 4 x 4 transformed tile: one GEMM each
constexpr int64_t kLineFloats = 16;  // a 64-byte cache line
constexpr int64_t kStripTileChannels = 1024;  // tiles x channels per strip

// G r for one column (or row) r of 3 filter taps.
void filter_transform(const float r[3], float out[4]) {
  out[0] = r[0];
  out[1] = 0.5f * (r[0] + r[1] + r[2]);
  out[2] = 0.5f * (r[0] - r[1] + r[2]);
  out[3] = r[2];
}

#if defined(__x86_64__)

// dst = src x w for T tiles (the GEMM's rows, 8 floats apart within an input block) and 16 output
// channels: src holds `blocks` input blocks, w (blocks x 8, 16).
template <int T>
__attribute__((target("avx2,fma"))) inline void gemm_tile(const float* src, int64_t src_block_step, int64_t blocks,
                                                         const float* w, float* dst, int64_t dst_block_step) {
  __m256 acc[T][2];
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < blocks; ++ib, w += kBlock * kLanes) fma_block<T>(acc, src + ib * src_block_step, w);
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
    _mm256_storeu_ps(dst + t * kBlock, acc[t][0]);
    _mm256_storeu_ps(dst + dst_block_step + t * kBlock, acc[t][1]);
  }
}

// The same on AVX-512 for S slices of 16 output channels (zmm registers: S = 2 takes up to 12
// tiles, S = 1 up to 24); w: (blocks x 8, 16 S), 64-byte aligned.
template <int T, int S>
__attribute__((target("avx512f"))) void gemm_tile_wide(const float* src, int64_t src_block_step, int64_t blocks,
                                                       const float* w, float* dst, int64_t dst_block_step) {
  __m512 acc[T][S];
#pragma GCC unroll 24
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < S; ++k) acc[t][k] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < blocks; ++ib, w += kBlock * kLanes * S) {
    const float* x = src + ib * src_block_step;
#pragma GCC unroll 8
    for (int i = 0; i < kBlock; ++i) {
      __m512 wi[S];
      for (int k = 0; k < S; ++k) wi[k] = _mm512_load_ps(w + (i * S + k) * kLanes);
#pragma GCC unroll 24
      for (int t = 0; t < T; ++t) {
        const __m512 v = _mm512_set1_ps(x[t * kBlock + i]);
        for (int k = 0; k < S; ++k) acc[t][k] = _mm512_fmadd_ps(v, wi[k], acc[t][k]);
      }
    }
  }
  // Slice k's 16 output channels are M's blocks 2k and 2k + 1.
#pragma GCC unroll 24
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < S; ++k) {
      _mm256_storeu_ps(dst + 2 * k * dst_block_step + t * kBlock, _mm512_castps512_ps256(acc[t][k]));
      const __m256d high = _mm512_extractf64x4_pd(_mm512_castps_pd(acc[t][k]), 1);  // AVX-512 F, not DQ
      _mm256_storeu_ps(dst + (2 * k + 1) * dst_block_step + t * kBlock, _mm256_castpd_ps(high));
    }
}

// dst = src x w for n tiles on the register tile this conv runs: AVX2's 16 output channels
// (one slice) by up to 6 tiles, or AVX-512's S slices by up to 24 / S tiles; w: (blocks x 8, 16 S).
void gemm_run(bool wide, int64_t slices, int64_t n, const float* src, int64_t src_block_step, int64_t blocks,
              const float* w, float* dst, int64_t dst_block_step) {
  const int64_t x = src_block_step, y = dst_block_step;
  if (!wide)
    with_tile_width<6>(n, [&](auto t) { gemm_tile<t.value>(src, x, blocks, w, dst, y); });
  else if (slices == 2)
    with_tile_width<12>(n, [&](auto t) { gemm_tile_wide<t.value, 2>(src, x, blocks, w, dst, y); });
  else
    with_tile_width<24>(n, [&](auto t) { gemm_tile_wide<t.value, 1>(src, x, blocks, w, dst, y); });
}

// Tiles per register tile.
int64_t max_tiles(bool wide, int64_t slices) { return !wide ? 6 : 24 / slices; }

// B^T d B of one 4 x 4 tile of 8 channels: d at the tile's top left in a padded map of `row`
// floats per row; point (r, c) goes to v + (r * 4 + c) * point_step.
__attribute__((target("avx2,fma"))) inline void input_transform(const float* d, int64_t row, float* v,
                                                               int64_t point_step) {
  __m256 t[4][4];  // B^T d
  for (int c = 0; c < 4; ++c) {
    const __m256 d0 = _mm256_loadu_ps(d + c * kBlock), d1 = _mm256_loadu_ps(d + row + c * kBlock);
    const __m256 d2 = _mm256_loadu_ps(d + 2 * row + c * kBlock), d3 = _mm256_loadu_ps(d + 3 * row + c * kBlock);
    t[0][c] = _mm256_sub_ps(d0, d2);
    t[1][c] = _mm256_add_ps(d1, d2);
    t[2][c] = _mm256_sub_ps(d2, d1);
    t[3][c] = _mm256_sub_ps(d1, d3);
  }
  for (int r = 0; r < 4; ++r) {
    float* out = v + r * 4 * point_step;
    _mm256_storeu_ps(out, _mm256_sub_ps(t[r][0], t[r][2]));
    _mm256_storeu_ps(out + point_step, _mm256_add_ps(t[r][1], t[r][2]));
    _mm256_storeu_ps(out + 2 * point_step, _mm256_sub_ps(t[r][2], t[r][1]));
    _mm256_storeu_ps(out + 3 * point_step, _mm256_sub_ps(t[r][1], t[r][3]));
  }
}

// A^T m A + bias (and the ReLU) of one tile of 8 channels, m's point (r, c) at m + (r * 4 + c) *
// point_step; writes the rows and columns of the 2 x 2 output that fall inside the map (`row` and
// `column` floats apart in y).
__attribute__((target("avx2,fma"))) inline void output_transform(const float* m, int64_t point_step, __m256 bias,
                                                                bool relu, float* y, int64_t row, int64_t column,
                                                                bool second_row, bool second_column) {
  __m256 s[2][4];  // A^T m
  for (int c = 0; c < 4; ++c) {
    const __m256 m0 = _mm256_loadu_ps(m + c * point_step), m1 = _mm256_loadu_ps(m + (4 + c) * point_step);
    const __m256 m2 = _mm256_loadu_ps(m + (8 + c) * point_step), m3 = _mm256_loadu_ps(m + (12 + c) * point_step);
    s[0][c] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
    s[1][c] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int r = 0; r < (second_row ? 2 : 1); ++r) {
    __m256 y0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]), bias);
    __m256 y1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3]), bias);
    if (relu) y0 = _mm256_max_ps(y0, zero), y1 = _mm256_max_ps(y1, zero);
    _mm256_storeu_ps(y + r * row, y0);
    if (second_column) _mm256_storeu_ps(y + r * row + column, y1);
  }
}

// Row r of G g G^T for 16 output channels, from row r of G g (packed: cg x 3 x 16): the four
// points (r, 0..3), each (cg, 16) in the GEMM's order, into weights (4 x cg x `row` floats,
// 32-byte aligned).
__attribute__((target("avx2,fma"))) inline void finish_filter_transform(const float* packed, int64_t cg,
                                                                       float* weights, int64_t row) {
  const __m256 half = _mm256_set1_ps(0.5f);
  for (int64_t i = 0; i < cg; ++i)
    for (int64_t lanes = 0; lanes < kLanes; lanes += kBlock) {
      const float* k = packed + i * 3 * kLanes + lanes;
      const __m256 a = _mm256_loadu_ps(k), b = _mm256_loadu_ps(k + kLanes), d = _mm256_loadu_ps(k + 2 * kLanes);
      float* u = weights + i * row + lanes;
      _mm256_store_ps(u, a);
      _mm256_store_ps(u + cg * row, _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(a, b), d)));
      _mm256_store_ps(u + 2 * cg * row, _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(a, b), d)));
      _mm256_store_ps(u + 3 * cg * row, d);
    }
}

// The maps' geometry, shared by every group.
struct Geometry {
  int64_t h, w, blocks, slices, tiles_y, tiles_x, hp, wp;
  int64_t strip_rows;  // tile rows per strip
  int64_t per_pass;    // slices of 16 output channels per GEMM pass: 2 on AVX-512 where cg allows
  bool keep_weights;   // whether a group's G g G^T is kept for its next strips and images
  ChannelBlocks layout;  // of src and dst
};

// Tile rows [ty0, ty0 + rows) of one image's group, from its padded input: the strip's tiles
// transformed into v, its GEMMs with the group's weights into m, m transformed back into dst.
// u: the group's G g G^T (16 cg^2 floats), per row r of points, per pass of per_pass slices, per
// point (r, c): (cg, 16 per_pass), the GEMMs' order. With `finish` (the group's first strip on
// this thread) each pass's part of u is first made from the packed G g, just before its GEMMs;
// the thread's later strips and images of the group reuse it. Where there are none (one image,
// one strip), every pass makes its part in the same place, u's first (4, cg, 16 per_pass): 32-64
// KB that stay in L1 and L2, where writing all of u (up to 1 MB) cost 1.2x the time with 128 per
// group on 7 x 7.
__attribute__((target("avx2,fma"))) void convolve_strip(const WinogradConv3x3& conv, int64_t image, int64_t g,
                                                       const Geometry& s, int64_t ty0, int64_t rows,
                                                       const float* padded, bool finish, float* u, float* dst,
                                                       float* v, float* m) {
  const int64_t cg = conv.group_channels, lanes = s.layout.lanes;
  const int64_t tiles = rows * s.tiles_x, point_step = s.blocks * tiles * kBlock;
  for (int64_t b = 0; b < s.blocks; ++b)
    for (int64_t ty = 0; ty < rows; ++ty)
      for (int64_t tx = 0; tx < s.tiles_x; ++tx)
        input_transform(padded + ((b * s.hp + 2 * (ty0 + ty)) * s.wp + 2 * tx) * kBlock, s.wp * kBlock,
                        v + (b * tiles + ty * s.tiles_x + tx) * kBlock, point_step);
  // Tiles in near-equal runs of at most a register tile's rows.
  const bool wide = conv.wide_gemm;
  const int64_t most = max_tiles(wide, s.per_pass), row = s.per_pass * kLanes;
  const int64_t runs = (tiles + most - 1) / most, narrow = tiles / runs, wider = tiles % runs;
  // The packed weights come from memory (a layer's are 0.6-25 MB): while the GEMMs of one pass
  // run, the packed G g of the pass made next (this group's or the next group's first) is
  // prefetched into L2, a few lines before each register tile.
  const int64_t chunk_floats = cg * 3 * kLanes, pass_floats = s.per_pass * chunk_floats;
  const int64_t pass_lines = pass_floats / kLineFloats, lines_per_run = (pass_lines + 4 * runs - 1) / (4 * runs);
  const float* packed = conv.packed.data<float>();
  const float* group_weights = packed + g * 4 * s.slices * chunk_floats;
  const float* end = packed + conv.packed.numel();
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t slice = 0; slice < s.slices; slice += s.per_pass) {
      const float* chunk = group_weights + (r * s.slices + slice) * chunk_floats;
      float* weights = s.keep_weights ? u + (r * s.slices + slice) * 4 * cg * kLanes : u;
      int64_t next_lines = 0;
      if (finish) {
        for (int64_t k = 0; k < s.per_pass; ++k)
          finish_filter_transform(chunk + k * chunk_floats, cg, weights + k * kLanes, row);
        next_lines = std::min(pass_lines, (end - (chunk + pass_floats)) / kLineFloats);
      }
      const float* next = chunk + pass_floats;
      int64_t line = 0;
      for (int64_t c = 0; c < 4; ++c) {
        const int64_t point = r * 4 + c;
        int64_t at = 0;
        for (int64_t run = 0; run < runs; ++run) {
          for (const int64_t last = std::min(next_lines, line + lines_per_run); line < last; ++line)
            _mm_prefetch(reinterpret_cast<const char*>(next + line * kLineFloats), _MM_HINT_T1);
          const int64_t width = narrow + (run < wider ? 1 : 0);
          gemm_run(wide, s.per_pass, width, v + point * point_step + at * kBlock, tiles * kBlock, s.blocks,
                   weights + c * cg * row, m + point * point_step + (slice * 2 * tiles + at) * kBlock,
                   tiles * kBlock);
          at += width;
        }
      }
    }
  // Tile by tile, all blocks of a tile together: in nhwc and nChw16c they share cache lines.
  for (int64_t ty = 0; ty < rows; ++ty)
    for (int64_t tx = 0; tx < s.tiles_x; ++tx) {
      const int64_t y = 2 * (ty0 + ty), x = 2 * tx;
      for (int64_t b = 0; b < s.blocks; ++b)
        output_transform(m + (b * tiles + ty * s.tiles_x + tx) * kBlock, point_step,
                         _mm256_loadu_ps(conv.bias.data() + g * cg + b * kBlock), conv.relu,
                         dst + s.layout.at(image, g * cg + b * kBlock, y * s.w + x), s.w * lanes, lanes,
                         y + 1 < s.h, x + 1 < s.w);
    }
}

// One image's group, strip by strip (`finish`: the group's first image on this thread). padded,
// u, v and m: the thread's buffers (the padded border is zero and stays so: only the interior is
// written).
__attribute__((target("avx2,fma"))) void convolve_group(const WinogradConv3x3& conv, int64_t image, int64_t g,
                                                       const Geometry& s, const float* src, bool finish, float* u,
                                                       float* dst, float* padded, float* v, float* m) {
  const int64_t cg = conv.group_channels;
  for (int64_t y = 0; y < s.h; ++y)
    copy_group_row(src, s.layout, image, g * cg, s.blocks, y, s.w, padded + ((y + 1) * s.wp + 1) * kBlock,
                   s.hp * s.wp * kBlock);
  for (int64_t ty0 = 0; ty0 < s.tiles_y; ty0 += s.strip_rows)
    convolve_strip(conv, image, g, s, ty0, std::min(s.strip_rows, s.tiles_y - ty0), padded,
                   !s.keep_weights || (finish && ty0 == 0), u, dst, v, m);
}

#endif

}  // namespace

bool winograd_3x3_supported(const Shape& weight, const ops::Conv2dOptions& o) {
  const int64_t group_channels = weight[1];
  return cpu_has_avx2_fma() && o.groups > 1 && group_channels % kLanes == 0 &&
         weight[0] == group_channels * o.groups && weight[2] == 3 && weight[3] == 3 && o.stride == ops::Pair{1, 1} &&
         o.padding == ops::Pair{1, 1} && o.dilation == ops::Pair{1, 1};
}

WinogradConv3x3 pack_winograd_3x3(const float* weight, const float* bias, int64_t channels, int64_t groups, bool relu,
                                  bool wide_gemm) {
  const int64_t cg = channels / groups, slices = cg / kLanes;
  WinogradConv3x3 conv{.channels = channels,
                       .group_channels = cg,
                       .packed = Tensor::empty({groups, 4, slices, cg, 3, kLanes}),
                       .bias = std::vector<float>(bias, bias + channels),
                       .relu = relu,
                       .wide_gemm = wide_gemm && cpu_has_avx512f()};
  float* packed = conv.packed.data<float>();
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < cg; ++o)
      for (int64_t i = 0; i < cg; ++i) {
        const float* k = weight + ((g * cg + o) * cg + i) * 9;
        for (int b = 0; b < 3; ++b) {
          const float column[3] = {k[b], k[3 + b], k[6 + b]};
          float gg[4];  // column b of G g
          filter_transform(column, gg);
          for (int r = 0; r < 4; ++r)
            packed[((((g * 4 + r) * slices + o / kLanes) * cg + i) * 3 + b) * kLanes + o % kLanes] = gg[r];
        }
      }
  return conv;
}

// Per group and image, on one thread: the group's weights transformed once for its images (G g
// G^T); the image's group input, zero-padded to whole 4 x 4 tiles; strip by strip, its tiles
// transformed into V (16 points x blocks x tiles x 8); for each point, V's slice times the point's
// weights into M, 16 or 32 output channels at a time; M transformed back into dst.
void run_winograd_3x3(const WinogradConv3x3& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                      int64_t lanes) {
#if defined(__x86_64__)
  const int64_t cg = conv.group_channels, groups = conv.channels / cg, blocks = cg / kBlock, slices = cg / kLanes;
  const int64_t tiles_y = (h + 1) / 2, tiles_x = (w + 1) / 2;
  // Strips of tile rows whose transformed tiles (V and M: 128 cg bytes a tile) take at most 128
  // KB, so that they stay in L2 between the transforms and the GEMMs: 1.2-1.4x faster than whole
  // maps with 16 per group on 56 x 56 and 32 on 28 x 28 (AVX-512 GEMMs, nhwc, batch 1 and 16;
  // 64 KB and 256 KB were slower). Not with more than 64 per group: the group's kept G g G^T
  // (over 256 KB) would leave L2 between strips.
  const int64_t strip_rows =
      cg > 64 ? tiles_y : std::clamp(kStripTileChannels / (cg * tiles_x), int64_t(1), tiles_y);
  const Geometry s{.h = h,
                   .w = w,
                   .blocks = blocks,
                   .slices = slices,
                   .tiles_y = tiles_y,
                   .tiles_x = tiles_x,
                   .hp = 2 * tiles_y + 2,
                   .wp = 2 * tiles_x + 2,
                   .strip_rows = strip_rows,
                   .per_pass = conv.wide_gemm && slices % 2 == 0 ? 2 : 1,
                   .keep_weights = n > 1 || strip_rows < tiles_y,
                   .layout = {.channels = conv.channels, .pixels = h * w, .lanes = lanes}};
  const int64_t point_floats = blocks * strip_rows * tiles_x * kBlock;  // V's and M's, per point
#pragma omp parallel
  {
    std::vector<float> padded(size_t(blocks * s.hp * s.wp * kBlock), 0.0f);
    std::vector<float> v(size_t(kPoints * point_floats)), m(size_t(kPoints * point_floats));
    // The group's G g G^T (or one pass of it), 64-byte aligned.
    Tensor u = s.keep_weights ? Tensor::empty({kPoints, cg, cg}) : Tensor::empty({4, cg, 2 * kLanes});
    int64_t have = -1;                            // the group whose weights u holds
    // Group by group, image by image: a group's weights are read from memory and transformed once
    // per thread.
#pragma omp for schedule(static)
    for (int64_t k = 0; k < groups * n; ++k) {
      const int64_t g = k / n, image = k % n;
      convolve_group(conv, image, g, s, src, g != have, u.data<float>(), dst, padded.data(), v.data(), m.data());
      have = g;
    }
  }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)h, (void)w, (void)lanes;
#endif
}

}  // namespace lucid::backend::cpu
