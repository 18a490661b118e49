// The backend seam: one table of kernel functions per implementation. Front ends in src/ops/
// validate and allocate the outputs; a kernel only computes, writing into its last argument.
// The reference table is naive loops, kept as the oracle every fast table is tested against.
#pragma once

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::backend {

// One optimizer update of a parameter tensor, as torch.optim does it (see src/train/optimizer.cpp).
// Hyper-parameters in double, as Python's floats: torch derives 1 - beta2 and the like in double
// before casting to the tensor's type (1 - 0.999f would differ by 1.3e-5).
struct SgdStep {
  double lr = 0.1, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  bool first = false;  // the momentum buffer starts as the (decayed) gradient itself
};
struct AdamwStep {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
  int64_t step = 1;  // 1-based, for the bias corrections
};

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

  // ---- Training: batch statistics, backward passes, updates ----
  // The reference kernels also take F64 tensors (all F64 or all F32 per call): the gradient
  // checks run them in double precision against finite differences.
  // dx of conv2d given dy (dx's shape is the input's).
  void (*conv2d_backward_data)(const Tensor& dy, const Tensor& weight, const ops::Conv2dOptions& options,
                               Tensor& dx);
  // dweight (dweight's shape is the weight's) and, when defined, dbias = sum of dy per channel.
  void (*conv2d_backward_weights)(const Tensor& x, const Tensor& dy, const ops::Conv2dOptions& options,
                                  Tensor& dweight, Tensor& dbias);
  // Normalizes x with its own per-channel statistics; writes y, the batch mean and the biased
  // batch variance (C). weight and bias may be undefined (scale 1, shift 0).
  void (*batch_norm_train)(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y,
                           Tensor& mean, Tensor& var);
  // Backward of batch_norm_train given its batch mean and biased var; dx, dweight, dbias may each be
  // undefined (not wanted).
  void (*batch_norm_backward)(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                              const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias);
  void (*relu_backward)(const Tensor& y, const Tensor& dy, Tensor& dx);  // y: relu's output
  // The gradient goes to the first maximum of each window (torch's choice on ties).
  void (*max_pool2d_backward)(const Tensor& x, const Tensor& dy, const ops::Pool2dOptions& options, Tensor& dx);
  void (*adaptive_avg_pool2d_backward)(const Tensor& dy, Tensor& dx);  // dx's shape is the input's
  // Each of dx, dweight, dbias may be undefined (not wanted).
  void (*linear_backward)(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                          Tensor& dbias);
  void (*log_softmax)(const Tensor& x, int64_t axis, Tensor& y);  // axis already non-negative
  void (*log_softmax_backward)(const Tensor& y, const Tensor& dy, int64_t axis, Tensor& dx);  // y: the output
  // Mean over the batch of the label-smoothed negative log-likelihood of logp (N,C) at labels
  // (I64, N): loss = mean_n[-(1-s) logp[n,label] - s/C sum_c logp[n,c]]; loss has one element.
  void (*nll_loss)(const Tensor& logp, const Tensor& labels, float smoothing, Tensor& loss);
  // dlogp for a loss gradient dloss (one element).
  void (*nll_loss_backward)(const Tensor& labels, float smoothing, const Tensor& dloss, Tensor& dlogp);
  void (*mul)(const Tensor& a, const Tensor& b, Tensor& y);  // elementwise, one shape
  // y = alpha x + beta y (y is only read when beta != 0; x may be y): gradient accumulation,
  // scaling for clipping, EMA of weights.
  void (*axpby)(float alpha, const Tensor& x, float beta, Tensor& y);
  double (*sum_squares)(const Tensor& x);  // for gradient-norm clipping
  // In place over param (and the state), given its gradient. momentum_buffer is undefined when
  // momentum is 0.
  void (*sgd_step)(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step);
  void (*adamw_step)(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step);
};

const Kernels& reference_kernels();  // src/backend/reference/
const Kernels& cpu_kernels();        // src/backend/cpu/ (oneDNN)
// The kernels that serve a device: CPU -> cpu_kernels(); others throw UnsupportedError.
const Kernels& kernels_for(Device device);

}  // namespace lucid::backend
