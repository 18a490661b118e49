// The backend seam: one table of kernel functions per implementation. Front ends in src/ops/
// validate and allocate the outputs; a kernel only computes, writing into its last argument.
// The reference table is naive loops, kept as the oracle every fast table is tested against.
#pragma once

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend {

struct Kernels {
  const char* name;
  // bias may be undefined.
  void (*conv2d)(const Tensor& x, const Tensor& weight, const Tensor& bias,
                 const ops::Conv2dOptions& options, Tensor& y);
  void (*batch_norm)(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                     const Tensor& bias, float eps, Tensor& y);
  void (*relu)(const Tensor& x, Tensor& y);
  void (*max_pool2d)(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y);
  // The output size is y's spatial size.
  void (*adaptive_avg_pool2d)(const Tensor& x, Tensor& y);
  void (*linear)(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y);
  void (*add)(const Tensor& a, const Tensor& b, Tensor& y);
  void (*softmax)(const Tensor& x, int64_t axis, Tensor& y);  // axis already non-negative
  void (*set_num_threads)(int threads);
};

const Kernels& reference_kernels();  // src/backend/reference/
const Kernels& cpu_kernels();        // src/backend/cpu/ (oneDNN)
// The kernels that serve a device: CPU -> cpu_kernels(); others throw UnsupportedError.
const Kernels& kernels_for(Device device);

}  // namespace lucid::backend
