// Finite differences in double precision: the oracle for every backward. The reference kernels
// run in F64; a numeric gradient perturbs one input element at a time by +-h and differentiates
// sum(f(inputs) * dy), which is what a backward given dy must return.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::testing {

using Function = std::function<Tensor(const std::vector<Tensor>&)>;

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, double low, double high, DType dtype) {
  std::uniform_real_distribution<double> dist(low, high);
  Tensor t = Tensor::empty(shape, dtype);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::F64)
      t.data<double>()[i] = dist(rng);
    else
      t.data<float>()[i] = float(dist(rng));
  }
  return t;
}

// A copy in the other precision (F32 <-> F64).
inline Tensor converted(const Tensor& t, DType dtype) {
  Tensor out = Tensor::empty(t.shape(), dtype);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.dtype() == DType::F64 ? t.data<double>()[i] : t.data<float>()[i];
    if (dtype == DType::F64)
      out.data<double>()[i] = v;
    else
      out.data<float>()[i] = float(v);
  }
  return out;
}

inline double value_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::F64 ? t.data<double>()[i] : t.data<float>()[i];
}

inline double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += value_at(a, i) * value_at(b, i);
  return s;
}

// d sum(f(inputs) * dy) / d inputs[k], central differences; inputs[k] must be F64.
inline Tensor numeric_grad(const Function& f, std::vector<Tensor> inputs, size_t k, const Tensor& dy,
                           double h = 1e-6) {
  Tensor x = inputs[k].clone();
  inputs[k] = x;
  Tensor grad = Tensor::empty(x.shape(), DType::F64);
  double* p = x.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double saved = p[i];
    p[i] = saved + h;
    const double plus = dot(f(inputs), dy);
    p[i] = saved - h;
    const double minus = dot(f(inputs), dy);
    p[i] = saved;
    grad.data<double>()[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

// Largest |got - want| relative to the largest |want| (at least `floor`); NaN counts as infinite.
inline double relative_error(const Tensor& got, const Tensor& want, double floor = 1.0) {
  double max_diff = 0.0, max_ref = floor;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = std::abs(value_at(got, i) - value_at(want, i));
    max_diff = std::max(max_diff, std::isnan(d) ? INFINITY : d);
    max_ref = std::max(max_ref, std::abs(value_at(want, i)));
  }
  return max_diff / max_ref;
}

}  // namespace lucid::testing
