// ResNeXt's grouped 3x3 convolutions of stride 1 with 16 or more channels per group, by
// Winograd's F(2x2, 3x3), on channel-blocked activations (channel_blocks.h). Each 2 x 2 output
// tile comes from a 4 x 4 input tile with 16 multiplies per input channel instead of 36: the
// input tiles and the weights are transformed (adds, subtractions and halvings only), the group's
// convolution becomes 16 small GEMMs, one per point of the transformed tile, of 2.25x fewer
// multiply-adds than the direct convolution, and the output tiles are transformed back. The
// GEMMs run on the 1x1 kernel's AVX2 register tile (fma_block.h: 6 tiles x 16 output channels)
// or, where the CPU has AVX-512, on a zmm tile of 12 tiles x 32 output channels (24 x 16 with 16
// per group). A thread takes a group's images one after another and transforms the group's
// weights once for all of them; each image goes in strips of tile rows that stay in L2.
// Outputs differ from the direct convolution's by about 1e-6 relative. Measured alone against
// lucid's direct kernel (conv_grouped_3x3.h) on the AVX2 dev machine, same process, alternating:
// 14 x 14 at batch 1 1.72x with 128 channels per group, 1.58x with 64, 1.40x with 32, 1.28x with
// 16 (batch 16: 1.67x with 64, 1.50x with 32, 1.15x with 16); 28 x 28 1.64x with 64, 1.33x with
// 32, 1.20x with 16; 56 x 56 1.48x with 32, 1.03x with 16; 7 x 7 1.08-1.33x. The weights kept
// per group and the strips came later, measured on a 2-core Xeon (nChw8c, against the kernel
// before them, same process, alternating; 7 x 7 to 56 x 56, 16 to 256 per group): with the AVX2
// tile 0.97-1.44x at batch 1 (1.44x with 16 per group on 56 x 56, 1.39x with 32 on 28 x 28,
// 0.97-1.08x from 64 on) and 1.04-1.29x at batch 16; with the AVX-512 tile 1.13-1.74x at batch 1
// and 1.32-1.88x at batch 16.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/cpu/simd.h"
#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

struct WinogradConv3x3 {
  int64_t channels = 0;        // input = output channels
  int64_t group_channels = 0;  // a multiple of 16
  Tensor packed;               // per group: (4, cg / 16, cg, 3, 16), G g (half the weight transform)
  std::vector<float> bias;     // per channel
  bool relu = false;
  bool wide_gemm = false;      // the GEMMs on AVX-512's register tile, else AVX2's
};

// Whether this CPU and this convolution can take the kernel: AVX2 with FMA; weight (C, C / groups,
// 3, 3) with groups > 1 and a multiple of 16 channels per group; stride 1, padding 1, no dilation.
bool winograd_3x3_supported(const Shape& weight, const ops::Conv2dOptions& options);

// weight: torch's (channels, channels / groups, 3, 3); bias: (channels). Holds G g, 4/3 the bytes
// of the 3 x 3 weights (G g G^T would be 16/9, over the engine's memory budget on
// resnext_101_32x32d); run_winograd_3x3 finishes the transform, a group at a time, into the
// thread's buffer just before the GEMMs that first use it. wide_gemm: AVX-512's GEMMs, where the
// CPU has it (the tests run both).
WinogradConv3x3 pack_winograd_3x3(const float* weight, const float* bias, int64_t channels, int64_t groups, bool relu,
                                  bool wide_gemm = cpu_has_avx512f());

// src and dst: (n, channels, h, w) blocked by `lanes` channels (channel_blocks.h): 8 (nChw8c), 16
// (nChw16c) or channels (nhwc); dst = relu(conv(src) + bias) (relu where asked).
void run_winograd_3x3(const WinogradConv3x3& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                      int64_t lanes = 8);

}  // namespace lucid::backend::cpu
