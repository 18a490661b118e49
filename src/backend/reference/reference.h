// Naive loops, one per Kernels entry: the oracle every fast backend is tested against.
// They accumulate in double and favour being obviously right over being fast.
#pragma once

#include "backend/kernels.h"
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

// ---- Training (see kernels.h) ----
void conv2d_backward_data(const Tensor& dy, const Tensor& weight, const ops::Conv2dOptions& options, Tensor& dx);
void conv2d_backward_weights(const Tensor& x, const Tensor& dy, const ops::Conv2dOptions& options, Tensor& dweight,
                             Tensor& dbias);
void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y, Tensor& mean,
                      Tensor& var);
void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias);
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx);
void max_pool2d_backward(const Tensor& x, const Tensor& dy, const ops::Pool2dOptions& options, Tensor& dx);
void adaptive_avg_pool2d_backward(const Tensor& dy, Tensor& dx);
void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                     Tensor& dbias);
void log_softmax(const Tensor& x, int64_t axis, Tensor& y);
void log_softmax_backward(const Tensor& y, const Tensor& dy, int64_t axis, Tensor& dx);
void nll_loss(const Tensor& logp, const Tensor& labels, float smoothing, Tensor& loss);
void nll_loss_backward(const Tensor& labels, float smoothing, const Tensor& dloss, Tensor& dlogp);
void mul(const Tensor& a, const Tensor& b, Tensor& y);
void axpby(float alpha, const Tensor& x, float beta, Tensor& y);
double sum_squares(const Tensor& x);
void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step);
void adamw_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step);

}  // namespace lucid::backend::reference
