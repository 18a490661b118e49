#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

// inputs: {x, weight, bias}. x is saved only when dweight or dbias is wanted, weight only when
// dx is: a frozen layer keeps no activation alive.
struct ConvBackward : autograd::Node {
  Tensor x, weight;
  Conv2dOptions options;
  const char* name() const override { return "ConvBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    auto wanted = [&](size_t i) { return inputs[i].defined() && inputs[i].requires_grad(); };
    const backend::Kernels& kernels = backend::kernels_for(dy.device());
    // An empty batch gives zero weight gradients (the kernels are not called with no work).
    const bool empty = dy.numel() == 0;
    auto make = [&](const Shape& shape) {
      return empty ? Tensor::zeros(shape, DType::F32, dy.device()) : Tensor::empty(shape, DType::F32, dy.device());
    };
    const Shape& weight_shape = inputs[1].shape();
    Tensor dx, dweight, dbias;
    if (wanted(0)) {
      dx = make(inputs[0].shape());
      if (!empty) kernels.conv2d_backward_data(dy, weight, options, dx);
    }
    if (wanted(1) || wanted(2)) {
      // dbias comes with dweight from one pass over dy; a frozen weight's dweight is dropped.
      dweight = make(weight_shape);
      if (wanted(2)) dbias = make({weight_shape[0]});
      if (!empty) kernels.conv2d_backward_weights(x, dy, options, dweight, dbias);
      if (!wanted(1)) dweight = Tensor();
    }
    return {dx, dweight, dbias};
  }
};

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options) {
  constexpr const char* op = "conv2d";
  detail::check_f32(op, "input", x);
  detail::check_f32(op, "weight", weight);
  detail::check_same_device(op, "weight", weight, x);
  detail::check_rank(op, "input", x, 4, "(N,C,H,W)");
  detail::check_rank(op, "weight", weight, 4, "(Cout,Cin/groups,KH,KW)");
  detail::check_at_least(op, "stride", options.stride, 1);
  detail::check_at_least(op, "dilation", options.dilation, 1);
  detail::check_at_least(op, "padding", options.padding, 0);

  const int64_t groups = options.groups;
  const int64_t in_channels = x.size(1), out_channels = weight.size(0);
  if (groups < 1) throw ValueError(op, cat("groups must be >= 1, got ", groups));
  for (int64_t d = 1; d < 4; ++d)
    if (x.size(d) < 1) throw ShapeError(op, cat("input has an empty dimension: ", to_string(x.shape())));
  for (int64_t d = 0; d < 4; ++d)
    if (weight.size(d) < 1)
      throw ShapeError(op, cat("weight has an empty dimension: ", to_string(weight.shape())));
  if (in_channels % groups != 0)
    throw ValueError(op, cat("groups (", groups, ") must divide in_channels (", in_channels, ")"));
  if (out_channels % groups != 0)
    throw ValueError(op, cat("groups (", groups, ") must divide out_channels (", out_channels, ")"));
  if (weight.size(1) * groups != in_channels)
    throw ShapeError(op, cat("input has ", in_channels, " channels, weight expects ", weight.size(1) * groups,
                             " (weight ", to_string(weight.shape()), ", groups ", groups, ")"));
  if (bias.defined()) detail::check_vector(op, "bias", bias, out_channels, "output channel", x);

  int64_t oh = window_output_size(op, x.size(2), weight.size(2), options.stride[0], options.padding[0],
                                  options.dilation[0]);
  int64_t ow = window_output_size(op, x.size(3), weight.size(3), options.stride[1], options.padding[1],
                                  options.dilation[1]);
  Tensor y = Tensor::empty({x.size(0), out_channels, oh, ow}, DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).conv2d(x, weight, bias, options, y);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    auto node = std::make_shared<ConvBackward>();
    if (weight.requires_grad() || (bias.defined() && bias.requires_grad())) node->x = x.detach();
    if (x.requires_grad()) node->weight = weight.detach();
    node->options = options;
    autograd::record(y, std::move(node), {x, weight, bias});
  }
  return y;
}

}  // namespace lucid::ops
