#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

// Saves the output: the backward needs only exp(y), the softmax.
struct LogSoftmaxBackward : autograd::Node {
  Tensor y;
  int64_t axis;
  const char* name() const override { return "LogSoftmaxBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = Tensor::empty(dy.shape(), DType::F32, dy.device());
    if (dx.numel() > 0) backend::kernels_for(dy.device()).log_softmax_backward(y, dy, axis, dx);
    return {dx};
  }
};

// The axis made non-negative, after checking it.
int64_t checked_axis(const char* op, const Tensor& x, int64_t axis) {
  detail::check_f32(op, "input", x);
  const int64_t rank = x.dim();
  if (rank == 0) throw ShapeError(op, cat("input is a scalar; ", op, " needs at least one axis"));
  if (axis < -rank || axis >= rank)
    throw ShapeError(op, cat("axis ", axis, " out of range for a ", rank, "-D tensor (shape ",
                             to_string(x.shape()), ")"));
  return axis < 0 ? axis + rank : axis;
}

}  // namespace

// Not differentiable (inference only): training differentiates log_softmax instead.
Tensor softmax(const Tensor& x, int64_t axis) {
  axis = checked_axis("softmax", x, axis);
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).softmax(x, axis, y);
  return y;
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  axis = checked_axis("log_softmax", x, axis);
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).log_softmax(x, axis, y);
  if (autograd::needs_grad({&x})) {
    auto node = std::make_shared<LogSoftmaxBackward>();
    node->y = y.detach(), node->axis = axis;
    autograd::record(y, std::move(node), {x});
  }
  return y;
}

}  // namespace lucid::ops
