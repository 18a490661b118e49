// The elementwise update loops behind both kernel tables: gradient accumulation and scaling
// (axpby), the squared norm for clipping, and the optimizer steps (one fused pass per parameter
// tensor). One body for both: the reference table runs it on one thread, the cpu table with
// OpenMP (`parallel`), and the element operations are the same either way.
#pragma once

#include <cmath>

#include "backend/kernels.h"

namespace lucid::backend::update {

template <class T>
void axpby_typed(float alpha, const Tensor& x, float beta, Tensor& y, bool parallel) {
  const T* in = x.data<T>();
  T* out = y.data<T>();
  const int64_t n = y.numel();
  const T a = alpha, b = beta;
  if (beta == 0.0f) {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t i = 0; i < n; ++i) out[i] = a * in[i];
  } else {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t i = 0; i < n; ++i) out[i] = a * in[i] + b * out[i];
  }
}

template <class T>
double sum_squares_typed(const Tensor& x, bool parallel) {
  const T* in = x.data<T>();
  const int64_t n = x.numel();
  double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (parallel)
  for (int64_t i = 0; i < n; ++i) sum += double(in[i]) * double(in[i]);
  return sum;
}

// torch.optim.SGD, one element at a time in torch's order of float operations:
// d = g + wd p; buf = d on the first step, else momentum buf + (1 - dampening) d;
// d = nesterov ? d + momentum buf : buf; p -= lr d.
template <class T>
void sgd_typed(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step, bool parallel) {
  T* p = param.data<T>();
  const T* g = grad.data<T>();
  T* buf = step.momentum != 0 ? momentum_buffer.data<T>() : nullptr;
  const int64_t n = param.numel();
  // Scalars as torch casts its Python floats: each to the tensor's type on its own.
  const T wd = T(step.weight_decay), momentum = T(step.momentum), keep = T(1.0 - step.dampening),
          neg_lr = T(-step.lr);
  const bool first = step.first, nesterov = step.nesterov;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i) {
    T d = g[i];
    if (wd != 0) d = d + wd * p[i];
    if (buf) {
      buf[i] = first ? d : buf[i] * momentum + keep * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] = p[i] + neg_lr * d;
  }
}

// torch.optim.AdamW (amsgrad off): p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). Bias corrections in double, as Python.
template <class T>
void adamw_typed(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step,
                 bool parallel) {
  T* p = param.data<T>();
  const T* g = grad.data<T>();
  T* m = exp_avg.data<T>();
  T* v = exp_avg_sq.data<T>();
  const int64_t n = param.numel();
  const double lr = step.lr, beta1 = step.beta1, beta2 = step.beta2;
  const double correction1 = 1.0 - std::pow(beta1, double(step.step));
  const double correction2 = 1.0 - std::pow(beta2, double(step.step));
  const T decay = T(1.0 - lr * step.weight_decay), b1 = T(beta1), b2 = T(beta2), one_b1 = T(1.0 - beta1),
          one_b2 = T(1.0 - beta2), correction2_sqrt = T(std::sqrt(correction2)), eps = T(step.eps),
          neg_step_size = T(-(lr / correction1));
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i) {
    p[i] = p[i] * decay;
    m[i] = m[i] * b1 + one_b1 * g[i];
    v[i] = v[i] * b2 + one_b2 * g[i] * g[i];
    const T denom = std::sqrt(v[i]) / correction2_sqrt + eps;
    p[i] = p[i] + neg_step_size * m[i] / denom;
  }
}

inline void axpby(float alpha, const Tensor& x, float beta, Tensor& y, bool parallel) {
  if (y.dtype() == DType::F64)
    axpby_typed<double>(alpha, x, beta, y, parallel);
  else
    axpby_typed<float>(alpha, x, beta, y, parallel);
}

inline double sum_squares(const Tensor& x, bool parallel) {
  return x.dtype() == DType::F64 ? sum_squares_typed<double>(x, parallel) : sum_squares_typed<float>(x, parallel);
}

inline void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step, bool parallel) {
  if (param.dtype() == DType::F64)
    sgd_typed<double>(param, grad, momentum_buffer, step, parallel);
  else
    sgd_typed<float>(param, grad, momentum_buffer, step, parallel);
}

inline void adamw_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step,
                       bool parallel) {
  if (param.dtype() == DType::F64)
    adamw_typed<double>(param, grad, exp_avg, exp_avg_sq, step, parallel);
  else
    adamw_typed<float>(param, grad, exp_avg, exp_avg_sq, step, parallel);
}

}  // namespace lucid::backend::update
