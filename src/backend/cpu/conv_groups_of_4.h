// ResNeXt's grouped 3x3 convolution with 4 channels per group (the first stage of the 32x4d and
// 64x4d models), stride 1, padding 1, on channel-blocked activations (nChw8c, nChw16c or nhwc),
// with the folded bias and ReLU. oneDNN 2.6 has no blocked AVX2 kernel for it: it reorders to
// plain NCHW and runs gemm at a tenth of the machine's peak (with AVX-512 it runs one on nChw4c,
// between two reorders). Here an 8-channel block holds two whole groups, and the in-lane shuffle
// vpermilps broadcasts input channel i of each group (lanes 0-3: x[i], lanes 4-7: x[4+i]), so
// one FMA per (tap, i) serves both groups. Hand-written because no library has this kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "lucid/ops.h"

namespace lucid::backend::cpu {

struct GroupsOf4Conv {
  int64_t channels = 0;       // input = output channels, a multiple of 8
  std::vector<float> packed;  // per 8-channel block, per tap (kh, kw), per input channel i: 8 lanes
  std::vector<float> bias;    // per channel
  bool relu = false;
};

// Whether this CPU and this convolution can take the kernel: AVX2 with FMA; weight (C, 4, 3, 3)
// with groups = C / 4 and C a multiple of 8; stride 1, padding 1, no dilation.
bool groups_of_4_supported(const Shape& weight, const ops::Conv2dOptions& options);

// weight: torch's (channels, 4, 3, 3); bias: (channels).
GroupsOf4Conv pack_groups_of_4(const float* weight, const float* bias, int64_t channels, bool relu);

// src and dst: (n, channels, h, w) blocked by `lanes` channels (channel_blocks.h): 8 (nChw8c),
// 16 (nChw16c) or channels (nhwc).
void run_groups_of_4(const GroupsOf4Conv& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                     int64_t lanes = 8);

}  // namespace lucid::backend::cpu
