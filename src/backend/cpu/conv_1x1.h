// A 1x1 convolution, stride 1, on nChw8c, for small maps at batch 1: ResNeXt's last stage (7 x 7,
// 1024-8192 channels, 4-256 MB of weights per conv). There each weight is used only 49 times,
// so a conv streams its weights from memory; oneDNN 2.6's jit_1x1 waits for them (80-120
// GFLOP/s on the AVX2 dev machine, against 140-160 on 14 x 14 maps). Here the weights are
// packed in the order the kernel reads them and every register tile prefetches a slice of the
// next 16 KB chunk, so they arrive while the current chunk is in use: 1.1-1.5x oneDNN on those
// shapes (same machine, same process, interleaved); its 6-pixel tile in assembly added 5-13%.
// Elsewhere it is no faster: with that tile, 0.85-1.05x oneDNN on 14 x 14 and 28 x 28 maps at
// batch 1 and 0.86-0.94x at batch 16 on 7 x 7 (before it, a network using it on 14 x 14 maps
// ran 1-3% slower), so the engine takes this kernel only where conv_1x1_preferred says.
#pragma once

#include <cstdint>
#include <vector>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

struct Conv1x1 {
  int64_t in_channels = 0, out_channels = 0;
  Tensor packed;            // (out_channels / 16, in_channels, 16): 16 output channels per input channel
  std::vector<float> bias;  // per output channel
  bool relu = false;
  bool residual = false;  // dst holds the identity on entry, and the output is added to it
  int64_t stride = 1;     // 2: the input is first gathered to unit stride (a ResNet's downsample)
};

// Whether this CPU and this convolution can take the kernel: AVX2 with FMA; weight (OC, C, 1, 1)
// with C a multiple of 8 and OC of 16; stride 1 or 2 both ways, no padding, no groups.
bool conv_1x1_supported(const Shape& weight, const ops::Conv2dOptions& options);

// Whether the kernel beats oneDNN's on this input (n, _, h, w) and stride: batch 1, output maps
// of 49 pixels or fewer.
bool conv_1x1_preferred(const Shape& input, int64_t stride);

// weight: torch's (out_channels, in_channels, 1, 1); bias: (out_channels).
Conv1x1 pack_conv_1x1(const float* weight, const float* bias, int64_t out_channels, int64_t in_channels, bool relu,
                      bool residual, int64_t stride = 1);

// src: (n, in_channels, h, w) in nChw8c; dst: (n, out_channels, oh, ow) in nChw8c, where
// oh = (h - 1) / stride + 1 and ow likewise. With a residual,
// dst = relu(conv(src) + bias + dst); else dst = relu(conv(src) + bias) (relu where asked).
void run_conv_1x1(const Conv1x1& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w);

}  // namespace lucid::backend::cpu
