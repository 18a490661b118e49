// The label-smoothed negative log-likelihood of log-probabilities (N,C) at class labels (I64, N),
// averaged over the batch: torch's CrossEntropyLoss after log_softmax. F32 or F64.
#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

// loss = mean_n [-(1-s) logp[n,label] - s/C sum_c logp[n,c]].
template <class T>
void nll_loss_typed(const Tensor& logp, const Tensor& labels, float smoothing, Tensor& loss) {
  const int64_t n_batch = logp.size(0), classes = logp.size(1);
  const T* lp = logp.data<T>();
  const int64_t* label = labels.data<int64_t>();
  const double s = smoothing;
  double total = 0.0;
  for (int64_t n = 0; n < n_batch; ++n) {
    double row = 0.0;
    for (int64_t c = 0; c < classes; ++c) row += lp[n * classes + c];
    total += -(1.0 - s) * lp[n * classes + label[n]] - s / double(classes) * row;
  }
  loss.data<T>()[0] = T(total / double(n_batch));
}

// dlogp[n,c] = dloss / N * (-(s/C) - (1-s) [c == label[n]]).
template <class T>
void nll_loss_backward_typed(const Tensor& labels, float smoothing, const Tensor& dloss, Tensor& dlogp) {
  const int64_t n_batch = dlogp.size(0), classes = dlogp.size(1);
  const int64_t* label = labels.data<int64_t>();
  const double s = smoothing, scale = double(dloss.data<T>()[0]) / double(n_batch);
  T* dp = dlogp.data<T>();
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t c = 0; c < classes; ++c)
      dp[n * classes + c] = T(scale * (-s / double(classes) - (c == label[n] ? 1.0 - s : 0.0)));
}

}  // namespace

void nll_loss(const Tensor& logp, const Tensor& labels, float smoothing, Tensor& loss) {
  if (logp.dtype() == DType::F64)
    nll_loss_typed<double>(logp, labels, smoothing, loss);
  else
    nll_loss_typed<float>(logp, labels, smoothing, loss);
}

void nll_loss_backward(const Tensor& labels, float smoothing, const Tensor& dloss, Tensor& dlogp) {
  if (dlogp.dtype() == DType::F64)
    nll_loss_backward_typed<double>(labels, smoothing, dloss, dlogp);
  else
    nll_loss_backward_typed<float>(labels, smoothing, dloss, dlogp);
}

}  // namespace lucid::backend::reference
