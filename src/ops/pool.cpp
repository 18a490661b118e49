#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

// Saves the input: the backward finds each window's maximum again.
struct MaxPool2dBackward : autograd::Node {
  Tensor x;
  Pool2dOptions options;
  const char* name() const override { return "MaxPool2dBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = Tensor::empty(x.shape(), DType::F32, x.device());
    if (dx.numel() > 0) backend::kernels_for(dy.device()).max_pool2d_backward(x, dy, options, dx);
    return {dx};
  }
};

struct AdaptiveAvgPool2dBackward : autograd::Node {
  Shape input_shape;
  const char* name() const override { return "AdaptiveAvgPool2dBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = Tensor::empty(input_shape, DType::F32, dy.device());
    if (dx.numel() > 0) backend::kernels_for(dy.device()).adaptive_avg_pool2d_backward(dy, dx);
    return {dx};
  }
};

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  constexpr const char* op = "max_pool2d";
  detail::check_f32(op, "input", x);
  detail::check_rank(op, "input", x, 4, "(N,C,H,W)");
  detail::check_at_least(op, "kernel", options.kernel, 1);
  detail::check_at_least(op, "stride", options.stride, 1);
  detail::check_at_least(op, "padding", options.padding, 0);
  // torch's rule; it also guarantees every window holds at least one real element.
  if (options.padding[0] > options.kernel[0] / 2 || options.padding[1] > options.kernel[1] / 2)
    throw ValueError(op, cat("padding ", detail::to_string(options.padding), " must be <= kernel/2 (kernel ",
                             detail::to_string(options.kernel), ")"));
  if (x.size(1) < 1 || x.size(2) < 1 || x.size(3) < 1)
    throw ShapeError(op, cat("input has an empty dimension: ", to_string(x.shape())));

  int64_t oh = window_output_size(op, x.size(2), options.kernel[0], options.stride[0], options.padding[0], 1);
  int64_t ow = window_output_size(op, x.size(3), options.kernel[1], options.stride[1], options.padding[1], 1);
  Tensor y = Tensor::empty({x.size(0), x.size(1), oh, ow}, DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).max_pool2d(x, options, y);
  if (autograd::needs_grad({&x})) {
    auto node = std::make_shared<MaxPool2dBackward>();
    node->x = x.detach(), node->options = options;
    autograd::record(y, std::move(node), {x});
  }
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size) {
  constexpr const char* op = "adaptive_avg_pool2d";
  detail::check_f32(op, "input", x);
  detail::check_rank(op, "input", x, 4, "(N,C,H,W)");
  detail::check_at_least(op, "output size", output_size, 1);
  if (x.size(1) < 1 || x.size(2) < 1 || x.size(3) < 1)
    throw ShapeError(op, cat("input has an empty dimension: ", to_string(x.shape())));

  Tensor y = Tensor::empty({x.size(0), x.size(1), output_size[0], output_size[1]}, DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).adaptive_avg_pool2d(x, y);
  if (autograd::needs_grad({&x})) {
    auto node = std::make_shared<AdaptiveAvgPool2dBackward>();
    node->input_shape = x.shape();
    autograd::record(y, std::move(node), {x});
  }
  return y;
}

}  // namespace lucid::ops
