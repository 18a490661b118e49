#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

struct LinearBackward : autograd::Node {
  Tensor x, weight;
  const char* name() const override { return "LinearBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    auto wanted = [&](size_t i, const Shape& shape) {
      const Tensor& input = inputs[i];
      return input.defined() && input.requires_grad() ? Tensor::zeros(shape, DType::F32, dy.device()) : Tensor();
    };
    Tensor dx = wanted(0, x.shape()), dweight = wanted(1, weight.shape()), dbias = wanted(2, {weight.size(0)});
    // An empty batch leaves the (zero) gradients as they are.
    if (dy.numel() > 0) backend::kernels_for(dy.device()).linear_backward(x, weight, dy, dx, dweight, dbias);
    return {dx, dweight, dbias};
  }
};

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  constexpr const char* op = "linear";
  detail::check_f32(op, "input", x);
  detail::check_f32(op, "weight", weight);
  detail::check_same_device(op, "weight", weight, x);
  detail::check_rank(op, "input", x, 2, "(N,in_features)");
  detail::check_rank(op, "weight", weight, 2, "(out_features,in_features)");
  if (weight.size(0) < 1 || weight.size(1) < 1)
    throw ShapeError(op, cat("weight has an empty dimension: ", to_string(weight.shape())));
  if (x.size(1) != weight.size(1))
    throw ShapeError(op, cat("input has ", x.size(1), " features, weight expects ", weight.size(1),
                             " (weight ", to_string(weight.shape()), ")"));
  if (bias.defined()) detail::check_vector(op, "bias", bias, weight.size(0), "output feature", x);

  Tensor y = Tensor::empty({x.size(0), weight.size(0)}, DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).linear(x, weight, bias, y);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    auto node = std::make_shared<LinearBackward>();
    node->x = x.detach(), node->weight = weight.detach();
    autograd::record(y, std::move(node), {x, weight, bias});
  }
  return y;
}

}  // namespace lucid::ops
