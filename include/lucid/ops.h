// Operator front ends. Each validates its inputs (throwing "[op] ..." errors), infers the output
// shape, and dispatches to the kernels of the input's device (src/backend/). Images are NCHW F32.
#pragma once

#include <array>
#include <cstdint>

#include "lucid/tensor.h"

namespace lucid::ops {

using Pair = std::array<int64_t, 2>;  // (height, width)

struct Conv2dOptions {
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  int64_t groups = 1;
};

struct Pool2dOptions {
  Pair kernel{1, 1};
  Pair stride{1, 1};
  Pair padding{0, 0};
};

// x (N,Cin,H,W), weight (Cout,Cin/groups,KH,KW), bias (Cout) or undefined -> (N,Cout,OH,OW).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options);
// Inference batch norm: (x - mean) / sqrt(var + eps) * weight + bias, per channel of (N,C,H,W).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, float eps);
Tensor relu(const Tensor& x);
// Max pool with implicit -inf padding (floor mode, as torch's default).
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);
// torch's adaptive average pool: output cell i covers [floor(i*H/OH), ceil((i+1)*H/OH)).
Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size);
// x (N,in), weight (out,in), bias (out) or undefined -> (N,out).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// Elementwise sum of two tensors of one shape.
Tensor add(const Tensor& a, const Tensor& b);
// Collapses axes [start_axis, end] into one; shares storage.
Tensor flatten(const Tensor& x, int64_t start_axis = 1);
// Softmax along one axis (negative counts from the end).
Tensor softmax(const Tensor& x, int64_t axis = -1);

// ---- Training ops (differentiable like all of the above; see lucid/autograd.h) ----

// Training batch norm: normalizes with the batch's statistics per channel of (N,C,H,W) and, when
// running_mean/running_var are defined, updates them as torch does:
// running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
Tensor batch_norm_train(const Tensor& x, Tensor& running_mean, Tensor& running_var, const Tensor& weight,
                        const Tensor& bias, float momentum, float eps);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
// Cross entropy of logits (N,C) against class indices (I64, N), averaged over the batch, with
// label smoothing s as torch's CrossEntropyLoss(label_smoothing=s). Returns a one-element tensor.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing = 0.0f);
// Elementwise product of two tensors of one shape.
Tensor mul(const Tensor& a, const Tensor& b);

// Output size of a convolution or pooling window along one axis (throws when it would be < 1).
int64_t window_output_size(const char* op, int64_t in, int64_t kernel, int64_t stride,
                           int64_t padding, int64_t dilation);

// Threads used by the CPU kernels (0 = all cores), at most kMaxThreads: far more threads than
// any machine has cores only slows a run down, and beyond some tens of thousands OpenMP fails to
// create them and the process crashes.
inline constexpr int kMaxThreads = 1024;
void set_num_threads(int threads);

}  // namespace lucid::ops
