// The label-smoothed negative log-likelihood (see kernels.h). A classifier's (N,C) is small next
// to everything before it: plain loops, the sum in double.
#include "backend/cpu/cpu.h"

namespace lucid::backend::cpu {

// loss = mean_n [-(1-s) logp[n,label] - s/C sum_c logp[n,c]].
void nll_loss(const Tensor& logp, const Tensor& labels, float smoothing, Tensor& loss) {
  const int64_t n_batch = logp.size(0), classes = logp.size(1);
  const float* lp = logp.data<float>();
  const int64_t* label = labels.data<int64_t>();
  const double s = smoothing;
  double total = 0.0;
  for (int64_t n = 0; n < n_batch; ++n) {
    const float* row = lp + n * classes;
    double row_sum = 0.0;
    if (s != 0.0)
      for (int64_t c = 0; c < classes; ++c) row_sum += row[c];
    total += -(1.0 - s) * row[label[n]] - s / double(classes) * row_sum;
  }
  loss.data<float>()[0] = float(total / double(n_batch));
}

// dlogp[n,c] = dloss / N * (-(s/C) - (1-s) [c == label[n]]).
void nll_loss_backward(const Tensor& labels, float smoothing, const Tensor& dloss, Tensor& dlogp) {
  const int64_t n_batch = dlogp.size(0), classes = dlogp.size(1);
  const int64_t* label = labels.data<int64_t>();
  const double scale = double(dloss.data<float>()[0]) / double(n_batch);
  const double spread = -scale * smoothing / double(classes);
  const float rest = float(spread), hit = float(spread - scale * (1.0 - smoothing));
  float* dp = dlogp.data<float>();
  for (int64_t n = 0; n < n_batch; ++n) {
    float* row = dp + n * classes;
    for (int64_t c = 0; c < classes; ++c) row[c] = rest;
    row[label[n]] = hit;
  }
}

}  // namespace lucid::backend::cpu
