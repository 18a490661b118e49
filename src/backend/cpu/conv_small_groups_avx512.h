// ResNeXt's grouped 3x3 convolutions with 4, 8 or 16 channels per group (stage 1 of 32x4d and
// 64x4d: 4; stage 2 of 32x4d and stage 1 of 32x8d: 8; stage 3 of 32x4d and 64x4d, stage 2 of
// 32x8d, stage 1 of 32x16d: 16), stride 1 or 2, padding 1, with the folded bias and ReLU, on AVX-512
// machines: 16 output channels per vector, four, two or one whole group. For each input pixel's
// 16 channels, input channel i of every group is broadcast across its group's lanes by one
// permute (vpermps, from L1; with one group, a broadcast from memory), so that one FMA per
// (tap, i) serves all the groups of the vector, and each permuted column serves the up to six
// outputs it reaches (two rows, three taps). On a 2-core Xeon this runs 4 and 8 per group 2.0-2.4x
// as fast as lucid's 8-lane kernels (conv_groups_of_4.h, conv_grouped_3x3.h; alone, 56 x 56 to
// 8 x 8 maps), which were slower than oneDNN's AVX-512 ones with 8 per group; 16 per group about
// as fast as oneDNN's on nChw16c (0.9-1.0x alone), and on nhwc, where the 1x1s around it leave
// the activations, without the two reorders oneDNN's needs (1.04-1.47x it with them, alone).
// With stride 2 a permuted column serves up to four outputs; still 1.3-1.6x the 8-lane kernel
// on nhwc at batch 1 (alone).
// Hand-written because no library has this kernel: oneDNN 2.6 runs these convs on nChw4c /
// nChw8c / nChw16c, between reorders.
#pragma once

#include <cstdint>
#include <vector>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

struct SmallGroupsConv16 {
  int64_t channels = 0, group_channels = 0;  // input = output channels, a multiple of 16; 4, 8 or 16 per group
  int64_t stride = 1;                        // 1 or 2, both ways
  Tensor packed;  // per 16-channel block, per tap (kh, kw), per input channel i of a group: 16 lanes
                  // (64-byte aligned: a 64-byte load across two cache lines costs two)
  std::vector<float> bias;    // per channel
  bool relu = false;
};

// Whether this CPU and this convolution can take the kernel: AVX-512F; weight (C, 4, 8 or 16, 3, 3)
// with groups = C / (4, 8 or 16) and C a multiple of 16; stride 1 or 2 both ways, padding 1, no
// dilation.
bool small_groups_16_supported(const Shape& weight, const ops::Conv2dOptions& options);

// weight: torch's (channels, group_channels, 3, 3); bias: (channels).
SmallGroupsConv16 pack_small_groups_16(const float* weight, const float* bias, int64_t channels,
                                       int64_t group_channels, int64_t stride, bool relu);

// src: (n, channels, h, w) and dst: (n, channels, oh, ow), oh = (h - 1) / stride + 1 and ow
// likewise, both blocked by `lanes` channels (channel_blocks.h), a multiple of 16: nChw16c (16) or
// nhwc (channels).
void run_small_groups_16(const SmallGroupsConv16& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
                         int64_t lanes);

}  // namespace lucid::backend::cpu
