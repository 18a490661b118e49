#include "lucid/error.h"
#include "lucid/ops.h"

namespace lucid::ops {

// A view, not a copy: works for every dtype and on every device.
Tensor flatten(const Tensor& x, int64_t start_axis) {
  if (!x.defined()) throw ValueError("flatten", "input is undefined");
  const int64_t rank = x.dim();
  if (rank == 0) {  // torch: a scalar flattens to one element
    if (start_axis != 0 && start_axis != -1)
      throw ShapeError("flatten", cat("start_axis ", start_axis, " out of range for a scalar"));
    return x.reshape({1});
  }
  if (start_axis < -rank || start_axis >= rank)
    throw ShapeError("flatten", cat("start_axis ", start_axis, " out of range for a ", rank, "-D tensor (shape ",
                                    to_string(x.shape()), ")"));
  if (start_axis < 0) start_axis += rank;
  Shape shape(x.shape().begin(), x.shape().begin() + start_axis);
  int64_t rest = 1;
  for (int64_t d = start_axis; d < rank; ++d) rest *= x.shape()[d];
  shape.push_back(rest);
  return x.reshape(shape);
}

}  // namespace lucid::ops
