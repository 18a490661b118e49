// Naive loops, one per Kernels entry: the oracle every fast backend is tested against.
// They accumulate in double and favour being obviously right over being fast.
#pragma once

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend::reference {

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

}  // namespace lucid::backend::reference
