#include <cmath>

#include "backend/kernels.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {

// weight and bias may be undefined (an affine=False batch norm): scale 1, shift 0.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, float eps) {
  constexpr const char* op = "batch_norm";
  detail::check_f32(op, "input", x);
  if (x.dim() < 2 || x.dim() > 5)
    throw ShapeError(op, cat("input must be 2-D to 5-D (N,C,...), got shape ", to_string(x.shape())));
  const int64_t channels = x.size(1);
  detail::check_vector(op, "running_mean", running_mean, channels, "channel", x);
  detail::check_vector(op, "running_var", running_var, channels, "channel", x);
  if (weight.defined()) detail::check_vector(op, "weight", weight, channels, "channel", x);
  if (bias.defined()) detail::check_vector(op, "bias", bias, channels, "channel", x);
  if (!(eps >= 0.0f) || !std::isfinite(eps))
    throw ValueError(op, cat("eps must be finite and >= 0, got ", eps));

  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0)
    backend::kernels_for(x.device()).batch_norm(x, running_mean, running_var, weight, bias, eps, y);
  return y;
}

}  // namespace lucid::ops
