// Convolutions of single pixels as matrix products. When a convolution's input and output are
// both 1x1 (ResNeXt's last stage on small images such as Fashion-MNIST's 28x28), at most one
// kernel tap reads the pixel and every other tap reads padding: the convolution is a (grouped)
// product of the (N, C) activations with that tap's (OC, C/G) weights. oneDNN's convolution
// kernels run such shapes at a quarter of its sgemm's speed (jit_1x1 with blocked layouts and
// reorders around it; gemm-based grouped convs computing all nine taps), so these three run sgemm.
#pragma once

#include <optional>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

// The tap of a pixel convolution: the kernel position that reads input pixel (0, 0).
struct PixelTap {
  int64_t h, w;
};

// The tap when x (N,C,1,1) -> y (N,OC,1,1) reads its pixel through exactly one tap; nothing
// otherwise (larger images, or a padding/dilation that skips the pixel).
std::optional<PixelTap> pixel_tap(const Shape& x, const Shape& weight, const Shape& y, const ops::Conv2dOptions& o);

void pixel_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t groups, PixelTap tap, Tensor& y);
void pixel_conv2d_backward_data(const Tensor& dy, const Tensor& weight, int64_t groups, PixelTap tap, Tensor& dx);
void pixel_conv2d_backward_weights(const Tensor& x, const Tensor& dy, int64_t groups, PixelTap tap, Tensor& dweight,
                                   Tensor& dbias);

}  // namespace lucid::backend::cpu
