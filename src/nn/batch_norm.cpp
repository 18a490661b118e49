#include "lucid/error.h"
#include "lucid/nn/layers.h"

namespace lucid::nn {

BatchNorm2d::BatchNorm2d(int64_t channels, float eps, float momentum) : eps_(eps), momentum_(momentum) {
  if (channels < 1) throw ValueError("BatchNorm2d", cat("channels (", channels, ") must be positive"));
  weight = add_parameter("weight", Tensor::full({channels}, 1.0f));
  bias = add_parameter("bias", Tensor::zeros({channels}));
  running_mean = add_buffer("running_mean", Tensor::zeros({channels}));
  running_var = add_buffer("running_var", Tensor::full({channels}, 1.0f));
  num_batches_tracked = add_buffer("num_batches_tracked", Tensor::zeros({}, DType::I64));
}

// Training mode normalizes with the batch's statistics and folds them into the running ones.
Tensor BatchNorm2d::forward(const Tensor& x) {
  if (!is_training()) return ops::batch_norm(x, running_mean, running_var, weight, bias, eps_);
  Tensor y = ops::batch_norm_train(x, running_mean, running_var, weight, bias, momentum_, eps_);
  num_batches_tracked.data<int64_t>()[0] += 1;
  return y;
}

}  // namespace lucid::nn
