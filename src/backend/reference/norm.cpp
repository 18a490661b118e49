#include <cmath>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {

// x (N,C,...): channel axis 1, everything after it is one inner run.
void batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                const Tensor& bias, float eps, Tensor& y) {
  const int64_t n_batch = x.size(0), c = x.size(1), inner = x.numel() / (n_batch * c);
  const float* xp = x.data<float>();
  const float* mp = mean.data<float>();
  const float* vp = var.data<float>();
  const float* wp = weight.defined() ? weight.data<float>() : nullptr;
  const float* bp = bias.defined() ? bias.data<float>() : nullptr;
  float* yp = y.data<float>();
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t ch = 0; ch < c; ++ch) {
      const double scale = (wp ? wp[ch] : 1.0) / std::sqrt(double(vp[ch]) + eps);
      const double shift = bp ? bp[ch] : 0.0;
      const int64_t base = (n * c + ch) * inner;
      for (int64_t k = 0; k < inner; ++k) yp[base + k] = float((xp[base + k] - double(mp[ch])) * scale + shift);
    }
}

}  // namespace lucid::backend::reference
