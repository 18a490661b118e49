#include "backend/cpu/conv_1x1.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/fma_block.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

constexpr int64_t kBlock = 8;          // channels per nChw8c block
constexpr int64_t kLanes = 16;         // output channels per register tile: two blocks
constexpr int64_t kChunkBlocks = 32;   // input blocks per chunk: 256 channels, 16 KB of weights (half of L1)
constexpr int64_t kMaxPixels = 6;      // 6 pixels x 2 blocks = 12 accumulators, 2 weights, a broadcast
constexpr int64_t kLineFloats = 16;    // a 64-byte cache line
constexpr int64_t kGroupInputBytes = 256 << 10;  // a group of images' chunk of input: half of L2

#if defined(__x86_64__)

// One register tile: T consecutive pixels x 16 output channels, over one chunk of input blocks.
struct Tile {
  const float* src;       // pixel 0 of the chunk's first input block
  int64_t src_block_step; // floats from one input block to the next: the map's pixels x 8
  int64_t blocks;         // input blocks in the chunk
  const float* weights;   // (blocks x 8, 16)
  const float* bias;      // 16
  float* dst;             // pixel 0 of the first of the two output blocks
  int64_t dst_block_step;
  bool first, last;       // the first chunk starts from the bias (and the identity); the last applies the ReLU
  bool relu, residual;
  const float* prefetch;  // lines of the weights this thread needs next, to bring into L1, or null
  int64_t prefetch_lines;
};

template <int T>
__attribute__((target("avx2,fma"))) inline void tile(const Tile& p) {
  __m256 acc[T][2];
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t)
#pragma GCC unroll 2
    for (int b = 0; b < 2; ++b) {
      float* at = p.dst + b * p.dst_block_step + t * kBlock;
      if (!p.first)  // the partial sums of the chunks before
        acc[t][b] = _mm256_loadu_ps(at);
      else if (p.residual)
        acc[t][b] = _mm256_add_ps(_mm256_loadu_ps(p.bias + b * kBlock), _mm256_loadu_ps(at));
      else
        acc[t][b] = _mm256_loadu_ps(p.bias + b * kBlock);
    }
  const int64_t lines_per_block = (p.prefetch_lines + p.blocks - 1) / p.blocks;
  const float* w = p.weights;
  for (int64_t ib = 0; ib < p.blocks; ++ib) {
    for (int64_t j = ib * lines_per_block; j < std::min(p.prefetch_lines, (ib + 1) * lines_per_block); ++j)
      _mm_prefetch(reinterpret_cast<const char*>(p.prefetch + j * kLineFloats), _MM_HINT_T0);
    fma_block<T>(acc, p.src + ib * p.src_block_step, w);
    w += kBlock * kLanes;
  }
  const bool relu = p.last && p.relu;
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t)
#pragma GCC unroll 2
    for (int b = 0; b < 2; ++b)
      _mm256_storeu_ps(p.dst + b * p.dst_block_step + t * kBlock,
                       relu ? _mm256_max_ps(acc[t][b], _mm256_setzero_ps()) : acc[t][b]);
}

// A tile of n pixels, n <= T.
template <int T>
__attribute__((target("avx2,fma"))) inline void tile_of(int64_t n, const Tile& p) {
  if constexpr (T > 0) {
    if (n == T) return tile<T>(p);
    tile_of<T - 1>(n, p);
  }
}

#endif

}  // namespace

bool conv_1x1_supported(const Shape& weight, const ops::Conv2dOptions& o) {
  return cpu_has_avx2_fma() && o.groups == 1 && weight[0] % kLanes == 0 && weight[1] % kBlock == 0 &&
         weight[2] == 1 && weight[3] == 1 && (o.stride == ops::Pair{1, 1} || o.stride == ops::Pair{2, 2}) &&
         o.padding == ops::Pair{0, 0};
}

bool conv_1x1_preferred(const Shape& input, int64_t stride) {
  return input[0] == 1 && ((input[2] - 1) / stride + 1) * ((input[3] - 1) / stride + 1) <= 49;
}

Conv1x1 pack_conv_1x1(const float* weight, const float* bias, int64_t out_channels, int64_t in_channels, bool relu,
                      bool residual, int64_t stride) {
  Conv1x1 conv{.in_channels = in_channels,
               .out_channels = out_channels,
               .packed = Tensor::empty({out_channels / kLanes, in_channels, kLanes}),
               .bias = std::vector<float>(bias, bias + out_channels),
               .relu = relu,
               .residual = residual,
               .stride = stride};
  float* packed = conv.packed.data<float>();
  for (int64_t o = 0; o < out_channels; ++o)
    for (int64_t i = 0; i < in_channels; ++i)
      packed[((o / kLanes) * in_channels + i) * kLanes + o % kLanes] = weight[o * in_channels + i];
  return conv;
}

// The output is cut into 16-channel slices, shared out among the threads, and the reduction
// into 256-channel chunks. For a few images at a time (whose chunk of input, 256 KB at most,
// stays in L2), chunk by chunk: each thread runs its slices' tiles over that chunk, with the
// slice's 16 KB of the chunk's weights in L1, and prefetches the next slice's. Each weight is
// read from memory once per group of images, and partial sums wait in dst between chunks.
static void run_unit_stride(const Conv1x1& conv, const float* src, float* dst, int64_t n, int64_t pixels) {
#if defined(__x86_64__)
  const int64_t in_blocks = conv.in_channels / kBlock, slices = conv.out_channels / kLanes;
  const int64_t tiles = (pixels + kMaxPixels - 1) / kMaxPixels, narrow = pixels / tiles, wide = pixels % tiles;
  const int64_t group = std::clamp<int64_t>(kGroupInputBytes / (pixels * kChunkBlocks * kBlock * 4), 1, n);
  const float* packed = conv.packed.data<float>();
  const float* end = packed + conv.packed.numel();
  const int64_t plane = pixels * kBlock, slice_floats = conv.in_channels * kLanes;
#pragma omp parallel
  for (int64_t image0 = 0; image0 < n; image0 += group) {
    const int64_t images = std::min(group, n - image0);
    for (int64_t b0 = 0; b0 < in_blocks; b0 += kChunkBlocks) {
      const int64_t blocks = std::min(kChunkBlocks, in_blocks - b0);
      // The same slices go to the same thread every time (static), so no thread reads partial
      // sums another wrote, and no barrier is needed between chunks.
#pragma omp for schedule(static) nowait
      for (int64_t slice = 0; slice < slices; ++slice) {
        const float* weights = packed + slice * slice_floats + b0 * kBlock * kLanes;
        const float* next = std::min(end, weights + slice_floats);  // the next slice's chunk
        const int64_t next_lines = std::min<int64_t>(blocks * kBlock * kLanes, end - next) / kLineFloats;
        const int64_t lines_per_tile = (next_lines + images * tiles - 1) / (images * tiles);
        for (int64_t i = 0; i < images; ++i) {
          const int64_t image = image0 + i;
          int64_t at = 0;
          for (int64_t t = 0; t < tiles; ++t) {
            const int64_t width = narrow + (t < wide ? 1 : 0);
            const int64_t first_line = std::min(next_lines, (i * tiles + t) * lines_per_tile);
            const Tile p{.src = src + (image * in_blocks + b0) * plane + at * kBlock,
                         .src_block_step = plane,
                         .blocks = blocks,
                         .weights = weights,
                         .bias = conv.bias.data() + slice * kLanes,
                         .dst = dst + (image * slices * 2 + slice * 2) * plane + at * kBlock,
                         .dst_block_step = plane,
                         .first = b0 == 0,
                         .last = b0 + blocks == in_blocks,
                         .relu = conv.relu,
                         .residual = conv.residual,
                         .prefetch = next + first_line * kLineFloats,
                         .prefetch_lines = std::min(lines_per_tile, next_lines - first_line)};
            tile_of<kMaxPixels>(width, p);
            at += width;
          }
        }
      }
    }
  }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)pixels;
#endif
}

void run_conv_1x1(const Conv1x1& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w) {
  const int64_t s = conv.stride, oh = (h - 1) / s + 1, ow = (w - 1) / s + 1;
  if (s == 1) return run_unit_stride(conv, src, dst, n, h * w);
  // Every s-th pixel of every s-th row, as oneDNN's 1x1 kernels do for strides: a copy of a
  // quarter of the input (200 KB for the last stage's downsample) against 1.6 ms of convolution.
  const int64_t planes = n * conv.in_channels / kBlock;
  std::vector<float> strided(size_t(planes * oh * ow * kBlock));
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        std::memcpy(&strided[size_t(((plane * oh + y) * ow + x) * kBlock)], src + ((plane * h + y * s) * w + x * s) * kBlock,
                    kBlock * sizeof(float));
  run_unit_stride(conv, strided.data(), dst, n, oh * ow);
}

}  // namespace lucid::backend::cpu
