#include "backend/reference/reference.h"

namespace lucid::backend::reference {

// x (N,in), weight (out,in) -> y (N,out).
void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  const int64_t n_batch = x.size(0), in = x.size(1), out = weight.size(0);
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  const float* bp = bias.defined() ? bias.data<float>() : nullptr;
  float* yp = y.data<float>();
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double acc = bp ? bp[o] : 0.0;
      for (int64_t k = 0; k < in; ++k) acc += double(xp[n * in + k]) * wp[o * in + k];
      yp[n * out + o] = float(acc);
    }
}

}  // namespace lucid::backend::reference
