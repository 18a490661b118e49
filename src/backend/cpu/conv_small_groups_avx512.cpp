#include "backend/cpu/conv_small_groups_avx512.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/channel_blocks.h"
#include "backend/cpu/simd.h"

// GCC 12 reports the intrinsics' own undefined pass-through operand (vpermps, vmaxps) as "may be
// used uninitialized": a known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace lucid::backend::cpu {
namespace {

constexpr int64_t kLanes = 16;  // output channels per vector
// Output columns per register tile (of 1 or 2 rows): 12 (24 accumulators) where the permute
// indices leave the registers (4 per group: 4 indices; 16: none), 8 with 8 per group (8 indices).
// 12 rather than 8 permutes 14 columns for 12 outputs rather than 10 for 8: 1.09-1.15x on 56 x 56
// and 28 x 28 maps, alone; 10 with 8 per group ran 0.93-0.98x (29 live registers, spills).
template <int G>
constexpr int kMaxPixels = G == 8 ? 8 : 12;
constexpr int64_t kBandOrderBytes = 256 << 10;  // packed weights up to which blocks go band by band

#if defined(__x86_64__)

// R output rows (1 or 2) of one 16-channel block, and the S x (R - 1) + 3 input rows they read
// (null where padding), S the stride. Each input row's permuted columns serve the output rows it
// reaches, so a permute feeds up to 6 FMAs rather than 3 (1.4-1.5x faster than one row at a time,
// one core; with stride 2, up to 4 rather than 2).
struct RowBand {
  const float* in[5];
  float* out[2];
  int64_t w, in_w, step;  // the output's and input's widths; floats from one pixel to the next
};

// Output columns [ow0, ow0 + T) of a band, G channels per group, stride S. weights: 9 taps x G x 16.
template <int G, int R, int T, int S>
__attribute__((target("avx512f"))) inline void tile(const RowBand& band, const float* weights, __m512 bias,
                                                   bool relu, int64_t ow0) {
  __m512i index[G];  // lane l of the permute for input channel i: channel i of l's group
#pragma GCC unroll 8
  for (int i = 0; i < G; ++i) {
    alignas(64) int lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = l / G * G + i;
    index[i] = _mm512_load_si512(lanes);
  }
  __m512 acc[R][T];
#pragma GCC unroll 2
  for (int q = 0; q < R; ++q)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) acc[q][t] = bias;
  constexpr int kColumns = S * (T - 1) + 3;  // input columns S ow0 - 1 ... S (ow0 + T - 1) + 1
  const bool left = ow0 > 0, right = S * (ow0 + T - 1) + 1 < band.in_w;  // whether the end ones exist
  const int64_t step = band.step;
#pragma GCC unroll 5
  for (int r = 0; r < S * (R - 1) + 3; ++r) {
    if (!band.in[r]) continue;
    const float* column = band.in[r] + (S * ow0 - 1) * step;
#pragma GCC unroll 8
    for (int i = 0; i < G; ++i)
#pragma GCC unroll 24
      for (int j = 0; j < kColumns; ++j) {
        if ((j == 0 && !left) || (j == kColumns - 1 && !right)) continue;  // the left and right padding
        // With 16 per group the vector is one group: its channel i, broadcast from memory.
        const __m512 xi = G == kLanes ? _mm512_set1_ps(column[j * step + i])
                                      : _mm512_permutexvar_ps(index[i], _mm512_loadu_ps(column + j * step));
#pragma GCC unroll 2
        for (int q = 0; q < R; ++q) {
          const int kh = r - S * q;
          if (kh < 0 || kh > 2) continue;
#pragma GCC unroll 3
          for (int kw = 0; kw < 3; ++kw) {
            const int t = (j - kw) / S;  // the output column that reads column j through tap kw
            if (j - kw >= 0 && (j - kw) % S == 0 && t < T)
              acc[q][t] = _mm512_fmadd_ps(xi, _mm512_load_ps(weights + ((kh * 3 + kw) * G + i) * kLanes), acc[q][t]);
          }
        }
      }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int q = 0; q < R; ++q)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t)
      _mm512_storeu_ps(band.out[q] + (ow0 + t) * step, relu ? _mm512_max_ps(acc[q][t], zero) : acc[q][t]);
}

// A tile of n <= T columns.
template <int G, int R, int T, int S>
__attribute__((target("avx512f"))) inline void tile_of(int64_t n, const RowBand& band, const float* weights,
                                                      __m512 bias, bool relu, int64_t ow0) {
  if constexpr (T > 0) {
    if (n == T) return tile<G, R, T, S>(band, weights, bias, relu, ow0);
    tile_of<G, R, T - 1, S>(n, band, weights, bias, relu, ow0);
  }
}

// One band of one block, in as few tiles as fit, of near-equal widths (56 = 12 + 4 x 11).
template <int G, int R, int S>
__attribute__((target("avx512f"))) void band_kernel(const RowBand& band, const float* weights, const float* bias,
                                                   bool relu) {
  const __m512 b = _mm512_loadu_ps(bias);
  constexpr int kMax = kMaxPixels<G>;
  const int64_t tiles = (band.w + kMax - 1) / kMax, narrow = band.w / tiles, wide = band.w % tiles;
  int64_t ow = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t n = narrow + (t < wide ? 1 : 0);
    tile_of<G, R, kMax, S>(n, band, weights, b, relu, ow);
    ow += n;
  }
}

using BandFn = void (*)(const RowBand&, const float*, const float*, bool);

template <int S>
BandFn band_fn(int64_t group_channels, int64_t rows) {
  if (group_channels == 4) return rows == 2 ? band_kernel<4, 2, S> : band_kernel<4, 1, S>;
  if (group_channels == 8) return rows == 2 ? band_kernel<8, 2, S> : band_kernel<8, 1, S>;
  return rows == 2 ? band_kernel<16, 2, S> : band_kernel<16, 1, S>;
}

BandFn band_fn(int64_t group_channels, int64_t rows, int64_t stride) {
  return stride == 1 ? band_fn<1>(group_channels, rows) : band_fn<2>(group_channels, rows);
}

#endif

}  // namespace

bool small_groups_16_supported(const Shape& weight, const ops::Conv2dOptions& o) {
#if defined(__x86_64__)
  const int64_t cg = weight[1], channels = cg * o.groups;
  return cpu_has_avx512f() && (cg == 4 || cg == 8 || cg == 16) && weight[0] == channels &&
         channels % kLanes == 0 && weight[2] == 3 && weight[3] == 3 &&
         (o.stride == ops::Pair{1, 1} || o.stride == ops::Pair{2, 2}) && o.padding == ops::Pair{1, 1} &&
         o.dilation == ops::Pair{1, 1};
#else
  (void)weight, (void)o;
  return false;
#endif
}

SmallGroupsConv16 pack_small_groups_16(const float* weight, const float* bias, int64_t channels,
                                       int64_t group_channels, int64_t stride, bool relu) {
  const int64_t g = group_channels, block_weights = 9 * g * kLanes;
  SmallGroupsConv16 conv{.channels = channels,
                         .group_channels = g,
                         .stride = stride,
                         .packed = Tensor::empty({channels / kLanes, block_weights}),
                         .bias = std::vector<float>(bias, bias + channels),
                         .relu = relu};
  float* packed = conv.packed.data<float>();
  for (int64_t block = 0; block < channels / kLanes; ++block)
    for (int64_t tap = 0; tap < 9; ++tap)
      for (int64_t i = 0; i < g; ++i)
        for (int64_t lane = 0; lane < kLanes; ++lane) {
          const int64_t oc = block * kLanes + lane;  // its group's input channel i is g * (oc / g) + i
          packed[((block * 9 + tap) * g + i) * kLanes + lane] = weight[(oc * g + i) * 9 + tap];
        }
  return conv;
}

void run_small_groups_16(const SmallGroupsConv16& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                         int64_t lanes) {
#if defined(__x86_64__)
  const int64_t s = conv.stride, oh = (h - 1) / s + 1, ow = (w - 1) / s + 1;
  const int64_t blocks = conv.channels / kLanes, block_weights = 9 * conv.group_channels * kLanes;
  const int64_t bands = (oh + 1) / 2;
  const ChannelBlocks in{.channels = conv.channels, .pixels = h * w, .lanes = lanes};
  const ChannelBlocks out{.channels = conv.channels, .pixels = oh * ow, .lanes = lanes};
  const float* packed = conv.packed.data<float>();
  // Two output rows at a time (the last alone where oh is odd). With 4 or 8 per group (37-147 KB of
  // weights in ResNeXt) all blocks of a band go together, as in conv_groups_of_4.cpp: the band's
  // input rows stay in cache; 8% faster on 56 x 56 maps than block by block. With 16 per group
  // (295-590 KB) all bands of a block go together instead, so that each block's weights are read
  // once: 0.35 ms against 0.40 on 14 x 14 x 1024 (resnext_101_64x4d, steps timed alone).
  auto run_band = [&](int64_t image, int64_t band, int64_t block) {
    const int64_t oy = 2 * band, rows = std::min<int64_t>(2, oh - oy);
    RowBand b{.in = {}, .out = {}, .w = ow, .in_w = w, .step = lanes};
    for (int64_t r = 0; r < s * (rows - 1) + 3; ++r) {
      const int64_t iy = s * oy - 1 + r;
      b.in[r] = iy >= 0 && iy < h ? src + in.at(image, block * kLanes, iy * w) : nullptr;
    }
    for (int64_t q = 0; q < rows; ++q) b.out[q] = dst + out.at(image, block * kLanes, (oy + q) * ow);
    band_fn(conv.group_channels, rows, s)(b, packed + block * block_weights, conv.bias.data() + block * kLanes,
                                          conv.relu);
  };
  if (conv.packed.numel() * int64_t(sizeof(float)) <= kBandOrderBytes) {
#pragma omp parallel for collapse(3) schedule(static)
    for (int64_t image = 0; image < n; ++image)
      for (int64_t band = 0; band < bands; ++band)
        for (int64_t block = 0; block < blocks; ++block) run_band(image, band, block);
  } else {
#pragma omp parallel for collapse(3) schedule(static)
    for (int64_t image = 0; image < n; ++image)
      for (int64_t block = 0; block < blocks; ++block)
        for (int64_t band = 0; band < bands; ++band) run_band(image, band, block);
  }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)h, (void)w, (void)lanes;
#endif
}

}  // namespace lucid::backend::cpu
