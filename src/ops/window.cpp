#include "lucid/error.h"
#include "lucid/ops.h"

namespace lucid::ops {

int64_t window_output_size(const char* op, int64_t in, int64_t kernel, int64_t stride,
                           int64_t padding, int64_t dilation) {
  if (kernel < 1 || stride < 1 || dilation < 1 || padding < 0)
    throw ValueError(op, cat("window needs kernel, stride, dilation >= 1 and padding >= 0, got kernel ",
                             kernel, ", stride ", stride, ", dilation ", dilation, ", padding ", padding));
  int64_t extent = dilation * (kernel - 1) + 1;
  // The numerator can be negative; C++ division would round it up to a bogus size of 1.
  if (in + 2 * padding < extent)
    throw ShapeError(op, cat("output size would be < 1: input ", in, " with padding ", padding,
                             " is smaller than the kernel extent ", extent, " (kernel ", kernel,
                             ", dilation ", dilation, ")"));
  return (in + 2 * padding - extent) / stride + 1;
}

}  // namespace lucid::ops
