#include "backend/cpu/conv_grouped_3x3.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/channel_blocks.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

constexpr int64_t kBlock = 8;         // channels per nChw8c block
constexpr int64_t kCopyBlocks = 8;    // blocks copied together from nhwc / nChw16c: 256 bytes a pixel
constexpr int64_t kBandRows = 8;      // output rows per band of copied input

// Output blocks per register tile: two where the group has them (6 pixels x 2 blocks = 12
// accumulators, 2 weight vectors and a broadcast of 16 registers), else one (12 pixels x 1).
int64_t tile_blocks(int64_t group_channels) { return group_channels % 16 == 0 ? 2 : 1; }

#if defined(__x86_64__)

// One register tile: T output pixels of a row x B output blocks, over the group's 3 x 3 x
// group_channels inputs, read from a zero-padded copy of the group's input (no edge cases).
struct Tile {
  const float* src;        // the padded input at (block 0, top tap row, left tap column of pixel 0)
  int64_t row_step;        // floats from one padded row to the next
  int64_t block_step;      // floats from one input block to the next
  int64_t blocks;          // input blocks of the group
  const float* weights;    // (3, 3, blocks x 8, B x 8)
  const float* bias;       // B x 8
  bool relu;
  float* dst;              // output pixel 0 of the tile's first block
  int64_t dst_block_step;  // floats from one output block to the next
  int64_t dst_pixel_step;  // and from one pixel to the next (the layout's lanes)
};

// S: the stride. Constant, so that the T broadcasts of an input channel address one register.
template <int T, int B, int S>
__attribute__((target("avx2,fma"))) inline void tile(const Tile& p) {
  __m256 acc[T][B];
#pragma GCC unroll 12
  for (int t = 0; t < T; ++t)
#pragma GCC unroll 2
    for (int b = 0; b < B; ++b) acc[t][b] = _mm256_loadu_ps(p.bias + b * kBlock);
  const float* w = p.weights;
  for (int kh = 0; kh < 3; ++kh)
    for (int kw = 0; kw < 3; ++kw) {
      const float* tap = p.src + kh * p.row_step + kw * kBlock;
      for (int64_t ib = 0; ib < p.blocks; ++ib) {
        const float* x = tap + ib * p.block_step;
#pragma GCC unroll 8
        for (int i = 0; i < kBlock; ++i, w += B * kBlock) {
          __m256 wv[B];
#pragma GCC unroll 2
          for (int b = 0; b < B; ++b) wv[b] = _mm256_load_ps(w + b * kBlock);
#pragma GCC unroll 12
          for (int t = 0; t < T; ++t) {
            const __m256 v = _mm256_broadcast_ss(x + t * S * kBlock + i);
#pragma GCC unroll 2
            for (int b = 0; b < B; ++b) acc[t][b] = _mm256_fmadd_ps(v, wv[b], acc[t][b]);
          }
        }
      }
    }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 12
  for (int t = 0; t < T; ++t)
#pragma GCC unroll 2
    for (int b = 0; b < B; ++b)
      _mm256_storeu_ps(p.dst + b * p.dst_block_step + t * p.dst_pixel_step,
                       p.relu ? _mm256_max_ps(acc[t][b], zero) : acc[t][b]);
}

// A tile of n pixels, n <= T.
template <int T, int B, int S>
__attribute__((target("avx2,fma"))) inline void tile_of(int64_t n, const Tile& p) {
  if constexpr (T > 0) {
    if (n == T) return tile<T, B, S>(p);
    tile_of<T - 1, B, S>(n, p);
  }
}

// One output row, in as few tiles as fit, of near-equal widths: 14 = 5 + 5 + 4, 7 = 4 + 3, so
// that no tile is left with too few accumulators to hide the FMA latency (6 + 6 + 2 would be).
template <int B, int S>
__attribute__((target("avx2,fma"))) void output_row(const Tile& row, int64_t ow) {
  constexpr int kMax = 12 / B;
  const int64_t tiles = (ow + kMax - 1) / kMax, narrow = ow / tiles, wide = ow % tiles;
  int64_t at = 0;
  for (int64_t i = 0; i < tiles; ++i) {
    const int64_t n = narrow + (i < wide ? 1 : 0);
    Tile p = row;
    p.src += at * S * kBlock;
    p.dst += at * p.dst_pixel_step;
    tile_of<kMax, B, S>(n, p);
    at += n;
  }
}

using RowFn = void (*)(const Tile&, int64_t);

RowFn row_kernel(int64_t blocks_per_tile, int64_t stride) {
  if (blocks_per_tile == 2) return stride == 1 ? output_row<2, 1> : output_row<2, 2>;
  return stride == 1 ? output_row<1, 1> : output_row<1, 2>;
}

#endif

}  // namespace

bool grouped_3x3_supported(const Shape& weight, const ops::Conv2dOptions& o) {
  const int64_t group_channels = weight[1];
  return cpu_has_avx2_fma() && o.groups > 1 && group_channels % kBlock == 0 &&
         weight[0] == group_channels * o.groups && weight[2] == 3 && weight[3] == 3 && o.stride[0] == o.stride[1] &&
         (o.stride[0] == 1 || o.stride[0] == 2) && o.padding == ops::Pair{1, 1} && o.dilation == ops::Pair{1, 1};
}

GroupedConv3x3 pack_grouped_3x3(const float* weight, const float* bias, int64_t channels, int64_t groups,
                                int64_t stride, bool relu) {
  const int64_t cg = channels / groups, tc = tile_blocks(cg) * kBlock, tiles = cg / tc;
  GroupedConv3x3 conv{.channels = channels,
                      .group_channels = cg,
                      .stride = stride,
                      .packed = Tensor::empty({groups * tiles, 9, cg, tc}),
                      .bias = std::vector<float>(bias, bias + channels),
                      .relu = relu};
  float* packed = conv.packed.data<float>();
  for (int64_t tile = 0; tile < groups * tiles; ++tile)  // its group's inputs: cg channels
    for (int64_t tap = 0; tap < 9; ++tap)
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t lane = 0; lane < tc; ++lane)
          packed[((tile * 9 + tap) * cg + ci) * tc + lane] = weight[((tile * tc + lane) * cg + ci) * 9 + tap];
  return conv;
}

void run_grouped_3x3(const GroupedConv3x3& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                     int64_t lanes) {
#if defined(__x86_64__)
  const int64_t s = conv.stride, oh = (h - 1) / s + 1, ow = (w - 1) / s + 1;
  const int64_t cg = conv.group_channels, groups = conv.channels / cg, blocks = cg / kBlock;
  const int64_t wp = w + 2;
  const int64_t tc = tile_blocks(cg) * kBlock, tiles = cg / tc;
  const ChannelBlocks in{.channels = conv.channels, .pixels = h * w, .lanes = lanes};
  const ChannelBlocks out{.channels = conv.channels, .pixels = oh * ow, .lanes = lanes};
  const RowFn row_fn = row_kernel(tc / kBlock, s);
  const float* packed = conv.packed.data<float>();
  // Groups copied together: one on nChw8c, whose block rows are contiguous; on nhwc and nChw16c,
  // where a pixel's channels share cache lines and pages, groups of up to kCopyBlocks blocks, so
  // that a pass over the map reads whole lines and touches each page once for all of them (group
  // by group, with 512 channels on 56 x 56 each group walked 1568 pages, more than the TLB holds,
  // and the conv took 3-4x its time on nChw8c). The copy goes in bands of kBandRows output rows,
  // so that it stays in L2 (whole maps of 8 groups, 800 KB, made 256 channels slower).
  const int64_t together = lanes == kBlock ? 1 : std::max<int64_t>(1, kCopyBlocks / blocks);
  const int64_t chunks = (groups + together - 1) / together, band_rows = (kBandRows - 1) * s + 3;
  const int64_t plane = band_rows * wp * kBlock;
#pragma omp parallel
  {
    // A band of the chunk's input with a zero border: (together x blocks, band_rows, w + 2, 8),
    // input row oy0 x s - 1 + r at row r; one per thread. Zeroed once here: each band overwrites
    // only the interior columns, so the border columns stay zero.
    std::vector<float> padded(size_t(together * blocks * plane), 0.0f);
#pragma omp for collapse(2) schedule(static)
    for (int64_t image = 0; image < n; ++image)
      for (int64_t chunk = 0; chunk < chunks; ++chunk) {
        const int64_t g0 = chunk * together, count = std::min(together, groups - g0);
        for (int64_t oy0 = 0; oy0 < oh; oy0 += kBandRows) {
          const int64_t rows = std::min(kBandRows, oh - oy0);
          for (int64_t r = 0; r < (rows - 1) * s + 3; ++r) {
            const int64_t y = oy0 * s - 1 + r;
            float* to = &padded[size_t((r * wp + 1) * kBlock)];
            if (y >= 0 && y < h)
              copy_group_row(src, in, image, g0 * cg, count * blocks, y, w, to, plane);
            else  // above or below the map
              for (int64_t b = 0; b < count * blocks; ++b) std::fill_n(to + b * plane, w * kBlock, 0.0f);
          }
          for (int64_t g = g0; g < g0 + count; ++g)
            for (int64_t j = 0; j < tiles; ++j) {
              const int64_t block = g * blocks + j * tc / kBlock;  // the tile's first output block, in the image
              for (int64_t oy = oy0; oy < oy0 + rows; ++oy) {
                const int64_t at = out.at(image, block * kBlock, oy * ow);
                const Tile row{.src = padded.data() + (g - g0) * blocks * plane + (oy - oy0) * s * wp * kBlock,
                               .row_step = wp * kBlock,
                               .block_step = plane,
                               .blocks = blocks,
                               .weights = packed + (g * tiles + j) * 9 * cg * tc,
                               .bias = conv.bias.data() + block * kBlock,
                               .relu = conv.relu,
                               .dst = dst + at,
                               .dst_block_step = out.at(image, (block + 1) * kBlock, oy * ow) - at,
                               .dst_pixel_step = lanes};
                row_fn(row, ow);
              }
            }
        }
      }
  }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)h, (void)w, (void)lanes;
#endif
}

}  // namespace lucid::backend::cpu
