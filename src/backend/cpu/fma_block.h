// The register tile that lucid's GEMM-like kernels (conv_1x1.h, conv_winograd_3x3.h) share: up to
// 6 pixels x 16 output channels, one 8-channel input block at a time, on nChw8c data.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace lucid::backend::cpu {

// acc[t][b] += x[t][i] * w[i][b] over one input block: x is pixel 0 of the block (the 6 pixels'
// 8 channels, 32 bytes apart), w the block's 8 rows of 16 weights (64 bytes each, 32-byte
// aligned). In assembly: written with intrinsics, the tile needs 15 of the 16 vector registers
// (12 accumulators, 2 weight vectors, a broadcast) and GCC 12 allocates them with extra register
// moves: the 1x1 convolution ran 5-13% slower (same process, alternating; 7 x 7 to 56 x 56 maps,
// batch 1 and 16). Two broadcast registers in turn let a pixel's broadcast issue before the last
// one's FMAs.
#define LUCID_PIXEL(t, i, v, a, b)                          \
  "vbroadcastss (" #t "*32+" #i "*4)(%[x]), %[" #v "]\n\t" \
  "vfmadd231ps %[w0], %[" #v "], %[" #a "]\n\t"            \
  "vfmadd231ps %[w1], %[" #v "], %[" #b "]\n\t"
#define LUCID_CHANNEL(i)                                     \
  "vmovaps (" #i "*64)(%[w]), %[w0]\n\t"                    \
  "vmovaps (" #i "*64+32)(%[w]), %[w1]\n\t"                 \
  LUCID_PIXEL(0, i, v0, a0, b0) LUCID_PIXEL(1, i, v1, a1, b1) \
  LUCID_PIXEL(2, i, v0, a2, b2) LUCID_PIXEL(3, i, v1, a3, b3) \
  LUCID_PIXEL(4, i, v0, a4, b4) LUCID_PIXEL(5, i, v1, a5, b5)

__attribute__((target("avx2,fma"), always_inline)) inline void fma_block_6x16(__m256 (&acc)[6][2], const float* x,
                                                                           const float* w) {
  __m256 w0, w1, v0, v1;
  asm(LUCID_CHANNEL(0) LUCID_CHANNEL(1) LUCID_CHANNEL(2) LUCID_CHANNEL(3)
      LUCID_CHANNEL(4) LUCID_CHANNEL(5) LUCID_CHANNEL(6) LUCID_CHANNEL(7)
      : [a0] "+x"(acc[0][0]), [a1] "+x"(acc[1][0]), [a2] "+x"(acc[2][0]), [a3] "+x"(acc[3][0]),
        [a4] "+x"(acc[4][0]), [a5] "+x"(acc[5][0]), [b0] "+x"(acc[0][1]), [b1] "+x"(acc[1][1]),
        [b2] "+x"(acc[2][1]), [b3] "+x"(acc[3][1]), [b4] "+x"(acc[4][1]), [b5] "+x"(acc[5][1]),
        [w0] "=&x"(w0), [w1] "=&x"(w1), [v0] "=&x"(v0), [v1] "=&x"(v1)
      : [x] "r"(x), [w] "r"(w)
      : "memory");
}
#undef LUCID_CHANNEL
#undef LUCID_PIXEL

// The same for T <= 6 pixels: the assembly for 6 (every tile but a row's last few), intrinsics
// for fewer.
template <int T>
__attribute__((target("avx2,fma"), always_inline)) inline void fma_block(__m256 (&acc)[T][2], const float* x,
                                                                      const float* w) {
  if constexpr (T == 6) {
    fma_block_6x16(acc, x, w);
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m256 w0 = _mm256_load_ps(w + i * 16), w1 = _mm256_load_ps(w + i * 16 + 8);
#pragma GCC unroll 6
      for (int t = 0; t < T; ++t) {
        const __m256 v = _mm256_broadcast_ss(x + t * 8 + i);
        acc[t][0] = _mm256_fmadd_ps(v, w0, acc[t][0]);
        acc[t][1] = _mm256_fmadd_ps(v, w1, acc[t][1]);
      }
    }
  }
}

}  // namespace lucid::backend::cpu

#endif
