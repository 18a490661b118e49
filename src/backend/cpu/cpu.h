// The oneDNN kernels behind cpu_kernels(). Activations arrive and leave as plain NCHW tensors;
// blocked layouts live only inside a call (the compiled engine keeps them between layers).
#pragma once

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::cpu {

void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ops::Conv2dOptions& options,
            Tensor& y);
void batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                const Tensor& bias, float eps, Tensor& y);
void relu(const Tensor& x, Tensor& y);
void add(const Tensor& a, const Tensor& b, Tensor& y);
void max_pool2d(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y);
void adaptive_avg_pool2d(const Tensor& x, Tensor& y);
void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y);
void softmax(const Tensor& x, int64_t axis, Tensor& y);
void set_num_threads(int threads);

}  // namespace lucid::backend::cpu
