#include "backend/cpu/conv_winograd_3x3.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/channel_blocks.h"
#include "backend/cpu/fma_block.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

// F(2x2, 3x3) (Lavin and Gray, 2015): Y = A^T [(G g G^T) * (B^T d B)] A for a 4 x 4 input tile
// d and 3 x 3 filter g, with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
constexpr int64_t kBlock = 8;      // channels per nChw8c block
constexpr int64_t kLanes = 16;     // output channels per register tile
constexpr int64_t kPoints = 16;    // points of the 4 x 4 transformed tile: one GEMM each
constexpr int64_t kMaxPixels = 6;  // tiles per register tile (fma_block)
constexpr int64_t kLineFloats = 16;  // a 64-byte cache line

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

template <int T>
__attribute__((target("avx2,fma"))) inline void gemm_tile_of(int64_t n, const float* src, int64_t src_block_step,
                                                            int64_t blocks, const float* w, float* dst,
                                                            int64_t dst_block_step) {
  if constexpr (T > 0) {
    if (n == T) return gemm_tile<T>(src, src_block_step, blocks, w, dst, dst_block_step);
    gemm_tile_of<T - 1>(n, src, src_block_step, blocks, w, dst, dst_block_step);
  }
}

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
// points (r, 0..3), each (cg, 16) in the GEMM's order, into weights (4 x cg x 16, 32-byte aligned).
__attribute__((target("avx2,fma"))) inline void finish_filter_transform(const float* packed, int64_t cg,
                                                                       float* weights) {
  const __m256 half = _mm256_set1_ps(0.5f);
  for (int64_t i = 0; i < cg; ++i)
    for (int64_t lanes = 0; lanes < kLanes; lanes += kBlock) {
      const float* k = packed + i * 3 * kLanes + lanes;
      const __m256 a = _mm256_loadu_ps(k), b = _mm256_loadu_ps(k + kLanes), d = _mm256_loadu_ps(k + 2 * kLanes);
      float* u = weights + i * kLanes + lanes;
      _mm256_store_ps(u, a);
      _mm256_store_ps(u + cg * kLanes, _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(a, b), d)));
      _mm256_store_ps(u + 2 * cg * kLanes, _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(a, b), d)));
      _mm256_store_ps(u + 3 * cg * kLanes, d);
    }
}

// The maps' geometry, shared by every group.
struct Geometry {
  int64_t h, w, blocks, slices, tiles_y, tiles_x, tiles, hp, wp, point_step;
  ChannelBlocks layout;  // of src and dst
};

// One image's group. padded, v, m and weights: the thread's buffers (the padded border is zero
// and stays so: only the interior is written).
__attribute__((target("avx2,fma"))) void convolve_group(const WinogradConv3x3& conv, int64_t image, int64_t g,
                                                       const Geometry& s, const float* src, float* dst, float* padded,
                                                       float* v, float* m, float* weights, bool same_group_next) {
  const int64_t cg = conv.group_channels, lanes = s.layout.lanes;
  for (int64_t b = 0; b < s.blocks; ++b)
    for (int64_t y = 0; y < s.h; ++y)
      copy_8_channels(src + s.layout.at(image, g * cg + b * kBlock, y * s.w), lanes, s.w,
                      padded + ((b * s.hp + y + 1) * s.wp + 1) * kBlock);
  for (int64_t b = 0; b < s.blocks; ++b)
    for (int64_t ty = 0; ty < s.tiles_y; ++ty)
      for (int64_t tx = 0; tx < s.tiles_x; ++tx)
        input_transform(padded + ((b * s.hp + 2 * ty) * s.wp + 2 * tx) * kBlock, s.wp * kBlock,
                        v + (b * s.tiles + ty * s.tiles_x + tx) * kBlock, s.point_step);
  // Tiles in near-equal runs of at most 6 (the register tile's rows).
  const int64_t runs = (s.tiles + kMaxPixels - 1) / kMaxPixels, narrow = s.tiles / runs, wide = s.tiles % runs;
  // The weights come from memory (a layer's are 0.6-25 MB): while the GEMMs of one chunk (a row of
  // points, 16 output channels) run, the chunk used next is prefetched into L2, a few lines before
  // each register tile. The chunks lie in the order they are used; after the group's last comes
  // its first again (the thread's next image) or the next group's first.
  const int64_t chunk_floats = cg * 3 * kLanes, chunk_lines = chunk_floats / kLineFloats;
  const int64_t lines_per_run = (chunk_lines + 4 * runs - 1) / (4 * runs);
  const float* packed = conv.packed.data<float>();
  const float* group_weights = packed + g * 4 * s.slices * chunk_floats;
  const float* end = packed + conv.packed.numel();
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t slice = 0; slice < s.slices; ++slice) {
      const float* chunk = group_weights + (r * s.slices + slice) * chunk_floats;
      finish_filter_transform(chunk, cg, weights);
      const bool last_chunk = r == 3 && slice == s.slices - 1;
      const float* next = last_chunk && same_group_next ? group_weights : chunk + chunk_floats;
      const int64_t next_lines = std::min(chunk_lines, (end - next) / kLineFloats);
      int64_t line = 0;
      for (int64_t c = 0; c < 4; ++c) {
        const int64_t point = r * 4 + c;
        int64_t at = 0;
        for (int64_t run = 0; run < runs; ++run) {
          for (const int64_t last = std::min(next_lines, line + lines_per_run); line < last; ++line)
            _mm_prefetch(reinterpret_cast<const char*>(next + line * kLineFloats), _MM_HINT_T1);
          const int64_t width = narrow + (run < wide ? 1 : 0);
          gemm_tile_of<kMaxPixels>(width, v + point * s.point_step + at * kBlock, s.tiles * kBlock, s.blocks,
                                   weights + c * cg * kLanes,
                                   m + point * s.point_step + (slice * 2 * s.tiles + at) * kBlock, s.tiles * kBlock);
          at += width;
        }
      }
    }
  for (int64_t b = 0; b < s.blocks; ++b) {
    const __m256 bias = _mm256_loadu_ps(conv.bias.data() + g * cg + b * kBlock);
    for (int64_t ty = 0; ty < s.tiles_y; ++ty)
      for (int64_t tx = 0; tx < s.tiles_x; ++tx)
        output_transform(m + (b * s.tiles + ty * s.tiles_x + tx) * kBlock, s.point_step, bias, conv.relu,
                         dst + s.layout.at(image, g * cg + b * kBlock, 2 * ty * s.w + 2 * tx), s.w * lanes, lanes,
                         2 * ty + 1 < s.h, 2 * tx + 1 < s.w);
  }
}

#endif

}  // namespace

bool winograd_3x3_supported(const Shape& weight, const ops::Conv2dOptions& o) {
  const int64_t group_channels = weight[1];
  return cpu_has_avx2_fma() && o.groups > 1 && group_channels % kLanes == 0 &&
         weight[0] == group_channels * o.groups && weight[2] == 3 && weight[3] == 3 && o.stride == ops::Pair{1, 1} &&
         o.padding == ops::Pair{1, 1} && o.dilation == ops::Pair{1, 1};
}

WinogradConv3x3 pack_winograd_3x3(const float* weight, const float* bias, int64_t channels, int64_t groups, bool relu) {
  const int64_t cg = channels / groups, slices = cg / kLanes;
  WinogradConv3x3 conv{.channels = channels,
                       .group_channels = cg,
                       .packed = Tensor::empty({groups, 4, slices, cg, 3, kLanes}),
                       .bias = std::vector<float>(bias, bias + channels),
                       .relu = relu};
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

// Per group and image, on one thread: the group's input, zero-padded to whole 4 x 4 tiles; its
// tiles transformed into V (16 points x blocks x tiles x 8); for each point, V's slice times the
// point's weights into M, 16 output channels at a time; M transformed back into dst.
void run_winograd_3x3(const WinogradConv3x3& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                      int64_t lanes) {
#if defined(__x86_64__)
  const int64_t cg = conv.group_channels, groups = conv.channels / cg, blocks = cg / kBlock;
  const int64_t tiles_y = (h + 1) / 2, tiles_x = (w + 1) / 2;
  const Geometry s{.h = h,
                   .w = w,
                   .blocks = blocks,
                   .slices = cg / kLanes,
                   .tiles_y = tiles_y,
                   .tiles_x = tiles_x,
                   .tiles = tiles_y * tiles_x,
                   .hp = 2 * tiles_y + 2,
                   .wp = 2 * tiles_x + 2,
                   .point_step = blocks * tiles_y * tiles_x * kBlock,
                   .layout = {.channels = conv.channels, .pixels = h * w, .lanes = lanes}};
#pragma omp parallel
  {
    std::vector<float> padded(size_t(blocks * s.hp * s.wp * kBlock), 0.0f);
    std::vector<float> v(size_t(kPoints * s.point_step)), m(size_t(kPoints * s.point_step));
    Tensor weights = Tensor::empty({4, cg, kLanes});  // one row of points' weights, 64-byte aligned
    // Group by group, image by image: a group's weights are read from memory once per thread and
    // come from the caches for its other images.
#pragma omp for collapse(2) schedule(static)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t image = 0; image < n; ++image)
        convolve_group(conv, image, g, s, src, dst, padded.data(), v.data(), m.data(), weights.data<float>(),
                       image + 1 < n);
  }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)h, (void)w, (void)lanes;
#endif
}

}  // namespace lucid::backend::cpu
