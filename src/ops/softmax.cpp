#include "backend/kernels.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {

Tensor softmax(const Tensor& x, int64_t axis) {
  constexpr const char* op = "softmax";
  detail::check_f32(op, "input", x);
  const int64_t rank = x.dim();
  if (rank == 0) throw ShapeError(op, "input is a scalar; softmax needs at least one axis");
  if (axis < -rank || axis >= rank)
    throw ShapeError(op, cat("axis ", axis, " out of range for a ", rank, "-D tensor (shape ",
                             to_string(x.shape()), ")"));
  if (axis < 0) axis += rank;
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).softmax(x, axis, y);
  return y;
}

}  // namespace lucid::ops
