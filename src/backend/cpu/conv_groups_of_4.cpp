#include "backend/cpu/conv_groups_of_4.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend/cpu/channel_blocks.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

constexpr int64_t kBlock = 8;                      // channels per nChw8c block: two groups
constexpr int64_t kBlockWeights = 9 * 4 * kBlock;  // taps x input channels of a group x lanes

#if defined(__x86_64__)

// Output columns [ow0, ow0 + T) of one row of one block of 8 channels. rows[kh] is input row
// oh - 1 + kh of the block, or null where it is padding; `step` floats from one pixel to the next
// (the layout's lanes). Output t reads column ow0 + t - 1 + kw through tap kw, so each column is
// loaded and shuffled once, then used by the up to three outputs it reaches.
template <int T>
__attribute__((target("avx2,fma"))) inline void tile(const float* const rows[3], const float* weights, __m256 bias,
                                                    bool relu, int64_t ow0, int64_t w, int64_t step, float* out) {
  __m256 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = bias;
#pragma GCC unroll 3
  for (int kh = 0; kh < 3; ++kh) {
    const float* row = rows[kh];
    if (!row) continue;
#pragma GCC unroll 10
    for (int j = 0; j < T + 2; ++j) {
      const int64_t c = ow0 - 1 + j;
      if (c < 0 || c >= w) continue;  // the left and right padding
      const __m256 x = _mm256_loadu_ps(row + c * step);
      const __m256 x0 = _mm256_permute_ps(x, 0x00), x1 = _mm256_permute_ps(x, 0x55);
      const __m256 x2 = _mm256_permute_ps(x, 0xaa), x3 = _mm256_permute_ps(x, 0xff);
#pragma GCC unroll 3
      for (int kw = 0; kw < 3; ++kw) {
        const int t = j - kw;
        if (t < 0 || t >= T) continue;
        const float* wk = weights + (kh * 3 + kw) * 4 * kBlock;
        acc[t] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(wk), acc[t]);
        acc[t] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(wk + 8), acc[t]);
        acc[t] = _mm256_fmadd_ps(x2, _mm256_loadu_ps(wk + 16), acc[t]);
        acc[t] = _mm256_fmadd_ps(x3, _mm256_loadu_ps(wk + 24), acc[t]);
      }
    }
  }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + (ow0 + t) * step, relu ? _mm256_max_ps(acc[t], zero) : acc[t]);
}

// One output row of one block, in tiles of 8 columns (the last one shorter).
__attribute__((target("avx2,fma"))) void output_row(const float* const rows[3], const float* weights,
                                                   const float* bias, bool relu, int64_t w, int64_t step, float* out) {
  const __m256 b = _mm256_loadu_ps(bias);
  int64_t ow = 0;
  for (; ow + 8 <= w; ow += 8) tile<8>(rows, weights, b, relu, ow, w, step, out);
  switch (w - ow) {
    case 7: tile<7>(rows, weights, b, relu, ow, w, step, out); break;
    case 6: tile<6>(rows, weights, b, relu, ow, w, step, out); break;
    case 5: tile<5>(rows, weights, b, relu, ow, w, step, out); break;
    case 4: tile<4>(rows, weights, b, relu, ow, w, step, out); break;
    case 3: tile<3>(rows, weights, b, relu, ow, w, step, out); break;
    case 2: tile<2>(rows, weights, b, relu, ow, w, step, out); break;
    case 1: tile<1>(rows, weights, b, relu, ow, w, step, out); break;
    default: break;
  }
}

#endif

}  // namespace

bool groups_of_4_supported(const Shape& weight, const ops::Conv2dOptions& o) {
  const int64_t channels = weight[1] * o.groups;
  return cpu_has_avx2_fma() && weight[1] == 4 && weight[0] == channels && channels % kBlock == 0 &&
         weight[2] == 3 && weight[3] == 3 && o.stride == ops::Pair{1, 1} && o.padding == ops::Pair{1, 1} &&
         o.dilation == ops::Pair{1, 1};
}

GroupsOf4Conv pack_groups_of_4(const float* weight, const float* bias, int64_t channels, bool relu) {
  GroupsOf4Conv conv{.channels = channels, .packed = std::vector<float>(size_t(channels / kBlock * kBlockWeights)),
                     .bias = std::vector<float>(bias, bias + channels), .relu = relu};
  for (int64_t block = 0; block < channels / kBlock; ++block)
    for (int64_t tap = 0; tap < 9; ++tap)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t lane = 0; lane < kBlock; ++lane) {
          const int64_t oc = block * kBlock + lane;  // its group's input channel i is 4 * (oc / 4) + i
          conv.packed[size_t(((block * 9 + tap) * 4 + i) * kBlock + lane)] = weight[(oc * 4 + i) * 9 + tap];
        }
  return conv;
}

void run_groups_of_4(const GroupsOf4Conv& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                     int64_t lanes) {
#if defined(__x86_64__)
  const int64_t blocks = conv.channels / kBlock;
  const ChannelBlocks layout{.channels = conv.channels, .pixels = h * w, .lanes = lanes};
  // Row by row, all blocks of a row together: the three input rows it reads stay in cache
  // whatever the layout. A parallel loop's body is outlined without the target attribute: it
  // calls output_row.
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t image = 0; image < n; ++image)
    for (int64_t oh = 0; oh < h; ++oh)
      for (int64_t block = 0; block < blocks; ++block) {
        const float* rows[3];
        for (int64_t kh = 0; kh < 3; ++kh) {
          const int64_t ih = oh - 1 + kh;
          rows[kh] = ih >= 0 && ih < h ? src + layout.at(image, block * kBlock, ih * w) : nullptr;
        }
        output_row(rows, conv.packed.data() + block * kBlockWeights, conv.bias.data() + block * kBlock, conv.relu,
                   w, lanes, dst + layout.at(image, block * kBlock, oh * w));
      }
#else
  (void)conv, (void)src, (void)dst, (void)n, (void)h, (void)w, (void)lanes;
#endif
}

}  // namespace lucid::backend::cpu
