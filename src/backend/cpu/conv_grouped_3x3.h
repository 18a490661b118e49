// ResNeXt's grouped 3x3 convolution where each group holds whole 8-channel blocks (8 to 256
// channels per group: every stage of 32x8d, 32x16d and 32x32d, the later stages of 32x4d and
// 64x4d), stride 1 or 2, padding 1, with the folded bias and ReLU. oneDNN 2.6 runs these on its
// generic jit:avx2 convolution at 55-110 GFLOP/s, against 120-160 for its 1x1 kernel on the
// same machine; here each group is a small dense convolution with a register tile of pixels x
// 16 output channels, as in a GEMM micro-kernel. Hand-written because no library has a blocked
// grouped kernel that fast.
#pragma once

#include <cstdint>
#include <vector>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

struct GroupedConv3x3 {
  int64_t channels = 0, group_channels = 0, stride = 1;
  Tensor packed;            // per tile of 16 (or 8) output channels: (3, 3, group_channels, tile)
  std::vector<float> bias;  // per channel
  bool relu = false;
};

// Whether this CPU and this convolution can take the kernel: AVX2 with FMA; weight (C, C / G, 3, 3)
// with C / G a multiple of 8; stride 1 or 2 both ways, padding 1, no dilation.
bool grouped_3x3_supported(const Shape& weight, const ops::Conv2dOptions& options);

// weight: torch's (channels, channels / groups, 3, 3); bias: (channels).
GroupedConv3x3 pack_grouped_3x3(const float* weight, const float* bias, int64_t channels, int64_t groups,
                                int64_t stride, bool relu);

// src: (n, channels, h, w); dst: (n, channels, oh, ow), oh = (h - 1) / stride + 1; both blocked by
// `lanes` channels (channel_blocks.h): 8 (nChw8c), 16 (nChw16c) or channels (nhwc).
void run_grouped_3x3(const GroupedConv3x3& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                     int64_t lanes = 8);

}  // namespace lucid::backend::cpu
