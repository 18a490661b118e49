// Batch norm in inference mode (given statistics) and training mode (the batch's own, updating
// the running ones), both differentiable in x, weight and bias.
#include <cmath>

#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

// A gradient for input when it wants one: per-channel ones start at zero (an empty batch sums
// nothing), dx is written whole.
Tensor grad_for(const Tensor& input, const Shape& shape) {
  if (!input.defined() || !input.requires_grad()) return Tensor();
  return shape.size() == 1 ? Tensor::zeros(shape, DType::F32, input.device())
                           : Tensor::empty(shape, DType::F32, input.device());
}

// Training mode: mean and var are the batch's (biased) statistics the forward normalized with.
struct BatchNormBackward : autograd::Node {
  Tensor x, mean, var, weight;
  float eps;
  const char* name() const override { return "BatchNormBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = grad_for(inputs[0], x.shape()), dweight = grad_for(inputs[1], mean.shape()),
           dbias = grad_for(inputs[2], mean.shape());
    backend::kernels_for(dy.device()).batch_norm_backward(x, dy, mean, var, weight, eps, dx, dweight, dbias);
    return {dx, dweight, dbias};
  }
};

// Inference mode, statistics fixed: y = (x - mean) * weight / sqrt(var + eps) + bias, so
// dx = dy * weight / sqrt(var + eps) (batch_norm itself with zero mean and no bias), and dweight,
// dbias are the training backward's sums, taken around the running mean.
struct BatchNormEvalBackward : autograd::Node {
  Tensor x, mean, var, weight;
  float eps;
  const char* name() const override { return "BatchNormEvalBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    const backend::Kernels& kernels = backend::kernels_for(dy.device());
    Tensor dx = grad_for(inputs[0], dy.shape()), dweight = grad_for(inputs[1], mean.shape()),
           dbias = grad_for(inputs[2], mean.shape());
    if (dy.numel() == 0) return {dx, dweight, dbias};
    if (dx.defined())
      kernels.batch_norm(dy, Tensor::zeros(mean.shape(), DType::F32, mean.device()), var, weight, Tensor(), eps, dx);
    if (dweight.defined() || dbias.defined()) {
      Tensor no_dx;
      kernels.batch_norm_backward(x, dy, mean, var, weight, eps, no_dx, dweight, dbias);
    }
    return {dx, dweight, dbias};
  }
};

Tensor detached(const Tensor& t) { return t.defined() ? t.detach() : Tensor(); }

// The checks both modes share; the statistics are checked by the callers.
void check_input(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  detail::check_f32(op, "input", x);
  if (x.dim() < 2 || x.dim() > 5)
    throw ShapeError(op, cat("input must be 2-D to 5-D (N,C,...), got shape ", to_string(x.shape())));
  if (weight.defined()) detail::check_vector(op, "weight", weight, x.size(1), "channel", x);
  if (bias.defined()) detail::check_vector(op, "bias", bias, x.size(1), "channel", x);
  if (!(eps >= 0.0f) || !std::isfinite(eps)) throw ValueError(op, cat("eps must be finite and >= 0, got ", eps));
}

}  // namespace

// weight and bias may be undefined (an affine=False batch norm): scale 1, shift 0.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, float eps) {
  constexpr const char* op = "batch_norm";
  check_input(op, x, weight, bias, eps);
  detail::check_vector(op, "running_mean", running_mean, x.size(1), "channel", x);
  detail::check_vector(op, "running_var", running_var, x.size(1), "channel", x);

  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0)
    backend::kernels_for(x.device()).batch_norm(x, running_mean, running_var, weight, bias, eps, y);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    auto node = std::make_shared<BatchNormEvalBackward>();
    // x is read only for dweight and dbias: frozen affine parameters keep no activation alive.
    const bool affine = (weight.defined() && weight.requires_grad()) || (bias.defined() && bias.requires_grad());
    node->x = affine ? x.detach() : Tensor(), node->mean = running_mean.detach(), node->var = running_var.detach();
    node->weight = detached(weight), node->eps = eps;
    autograd::record(y, std::move(node), {x, weight, bias});
  }
  return y;
}

Tensor batch_norm_train(const Tensor& x, Tensor& running_mean, Tensor& running_var, const Tensor& weight,
                        const Tensor& bias, float momentum, float eps) {
  constexpr const char* op = "batch_norm_train";
  check_input(op, x, weight, bias, eps);
  const int64_t channels = x.size(1), count = x.numel() / std::max<int64_t>(channels, 1);
  if (running_mean.defined()) detail::check_vector(op, "running_mean", running_mean, channels, "channel", x);
  if (running_var.defined()) detail::check_vector(op, "running_var", running_var, channels, "channel", x);
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    throw ValueError(op, cat("momentum must be in [0, 1], got ", momentum));
  // torch's rule: the unbiased variance needs two values, and one value normalizes to 0.
  if (count < 2)
    throw ValueError(op, cat("expected more than 1 value per channel in training mode, got input shape ",
                             to_string(x.shape())));

  const backend::Kernels& kernels = backend::kernels_for(x.device());
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  Tensor mean = Tensor::empty({channels}, DType::F32, x.device());
  Tensor var = Tensor::empty({channels}, DType::F32, x.device());
  kernels.batch_norm_train(x, weight, bias, eps, y, mean, var);
  // running = (1 - momentum) running + momentum batch, with var made unbiased: var * n / (n - 1).
  if (running_mean.defined()) kernels.axpby(momentum, mean, 1.0f - momentum, running_mean);
  if (running_var.defined())
    kernels.axpby(float(double(momentum) * double(count) / double(count - 1)), var, 1.0f - momentum, running_var);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    auto node = std::make_shared<BatchNormBackward>();
    node->x = x.detach(), node->mean = mean, node->var = var, node->weight = detached(weight), node->eps = eps;
    autograd::record(y, std::move(node), {x, weight, bias});
  }
  return y;
}

}  // namespace lucid::ops
