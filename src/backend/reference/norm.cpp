// Batch norm: inference with given statistics, training with the batch's own, and the backward.
// x is (N,C,...): channel axis 1, everything after it one inner run. F32 or F64 throughout.
#include <cmath>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

struct Layout {
  int64_t n, c, inner;
};
Layout layout_of(const Tensor& x) { return {x.size(0), x.size(1), x.numel() / (x.size(0) * x.size(1))}; }

template <class T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
void normalize(const Tensor& x, const T* mp, const T* vp, const Tensor& weight, const Tensor& bias, float eps,
               Tensor& y) {
  const auto [n_batch, c, inner] = layout_of(x);
  const T* xp = x.data<T>();
  const T* wp = optional_data<T>(weight);
  const T* bp = optional_data<T>(bias);
  T* yp = y.data<T>();
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t ch = 0; ch < c; ++ch) {
      const double scale = (wp ? wp[ch] : 1.0) / std::sqrt(double(vp[ch]) + eps);
      const double shift = bp ? bp[ch] : 0.0;
      const int64_t base = (n * c + ch) * inner;
      for (int64_t k = 0; k < inner; ++k) yp[base + k] = T((xp[base + k] - double(mp[ch])) * scale + shift);
    }
}

// Two passes per channel (mean, then squared deviations): no cancellation.
template <class T>
void batch_norm_train_typed(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y,
                            Tensor& mean, Tensor& var) {
  const auto [n_batch, c, inner] = layout_of(x);
  const T* xp = x.data<T>();
  T* mp = mean.data<T>();
  T* vp = var.data<T>();
  const double count = double(n_batch * inner);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0.0;
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < inner; ++k) sum += xp[(n * c + ch) * inner + k];
    const double mu = sum / count;
    double squares = 0.0;
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < inner; ++k) {
        const double d = xp[(n * c + ch) * inner + k] - mu;
        squares += d * d;
      }
    mp[ch] = T(mu);
    vp[ch] = T(squares / count);
  }
  normalize<T>(x, mp, vp, weight, bias, eps, y);
}

// With xhat = (x - mean) * invstd over the M = N*inner values of a channel:
// dbias = sum dy, dweight = sum dy * xhat, dx = weight * invstd * (dy - dbias/M - xhat * dweight/M).
template <class T>
void batch_norm_backward_typed(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                               const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  const auto [n_batch, c, inner] = layout_of(x);
  const T* xp = x.data<T>();
  const T* gp = dy.data<T>();
  const T* wp = optional_data<T>(weight);
  const double count = double(n_batch * inner);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mu = mean.data<T>()[ch];
    const double invstd = 1.0 / std::sqrt(double(var.data<T>()[ch]) + eps);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < inner; ++k) {
        const int64_t i = (n * c + ch) * inner + k;
        sum_dy += gp[i];
        sum_dy_xhat += gp[i] * (xp[i] - mu) * invstd;
      }
    if (dbias.defined()) dbias.data<T>()[ch] = T(sum_dy);
    if (dweight.defined()) dweight.data<T>()[ch] = T(sum_dy_xhat);
    if (!dx.defined()) continue;
    const double scale = (wp ? wp[ch] : 1.0) * invstd;
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < inner; ++k) {
        const int64_t i = (n * c + ch) * inner + k;
        const double xhat = (xp[i] - mu) * invstd;
        dx.data<T>()[i] = T(scale * (gp[i] - sum_dy / count - xhat * sum_dy_xhat / count));
      }
  }
}

}  // namespace

void batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                const Tensor& bias, float eps, Tensor& y) {
  if (x.dtype() == DType::F64)
    normalize<double>(x, mean.data<double>(), var.data<double>(), weight, bias, eps, y);
  else
    normalize<float>(x, mean.data<float>(), var.data<float>(), weight, bias, eps, y);
}

void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y, Tensor& mean,
                      Tensor& var) {
  if (x.dtype() == DType::F64)
    batch_norm_train_typed<double>(x, weight, bias, eps, y, mean, var);
  else
    batch_norm_train_typed<float>(x, weight, bias, eps, y, mean, var);
}

void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  if (x.dtype() == DType::F64)
    batch_norm_backward_typed<double>(x, dy, mean, var, weight, eps, dx, dweight, dbias);
  else
    batch_norm_backward_typed<float>(x, dy, mean, var, weight, eps, dx, dweight, dbias);
}

}  // namespace lucid::backend::reference
