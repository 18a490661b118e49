// Softmax and log-softmax along one axis, F32 or F64. Tensors are viewed as (outer, axis, inner);
// the row maximum is subtracted so large logits cannot overflow.
#include <algorithm>
#include <cmath>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

struct Rows {
  int64_t outer = 1, len = 1, inner = 1;
};

Rows rows_of(const Tensor& x, int64_t axis) {
  Rows r;
  for (int64_t d = 0; d < axis; ++d) r.outer *= x.size(d);
  for (int64_t d = axis + 1; d < x.dim(); ++d) r.inner *= x.size(d);
  r.len = x.size(axis);
  return r;
}

// Calls row(base) with the flat index of each row's first element; its elements are inner apart.
template <class Row>
void for_each_row(const Rows& r, Row row) {
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) row(o * r.len * r.inner + i);
}

// log(softmax) = x - top - log(sum exp(x - top)); softmax is its exp.
template <class T>
void softmax_typed(const Tensor& x, int64_t axis, bool log, Tensor& y) {
  const Rows r = rows_of(x, axis);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  for_each_row(r, [&](int64_t base) {
    double top = xp[base];
    for (int64_t k = 1; k < r.len; ++k) top = std::max(top, double(xp[base + k * r.inner]));
    double sum = 0.0;
    for (int64_t k = 0; k < r.len; ++k) sum += std::exp(xp[base + k * r.inner] - top);
    const double log_sum = std::log(sum);
    for (int64_t k = 0; k < r.len; ++k) {
      const double shifted = xp[base + k * r.inner] - top;
      yp[base + k * r.inner] = T(log ? shifted - log_sum : std::exp(shifted) / sum);
    }
  });
}

// y = log_softmax(x): dx = dy - exp(y) * sum(dy) along the axis.
template <class T>
void log_softmax_backward_typed(const Tensor& y, const Tensor& dy, int64_t axis, Tensor& dx) {
  const Rows r = rows_of(y, axis);
  const T* yp = y.data<T>();
  const T* gp = dy.data<T>();
  T* dp = dx.data<T>();
  for_each_row(r, [&](int64_t base) {
    double sum = 0.0;
    for (int64_t k = 0; k < r.len; ++k) sum += gp[base + k * r.inner];
    for (int64_t k = 0; k < r.len; ++k) {
      const int64_t i = base + k * r.inner;
      dp[i] = T(gp[i] - std::exp(double(yp[i])) * sum);
    }
  });
}

}  // namespace

void softmax(const Tensor& x, int64_t axis, Tensor& y) {
  if (x.dtype() == DType::F64)
    softmax_typed<double>(x, axis, false, y);
  else
    softmax_typed<float>(x, axis, false, y);
}

void log_softmax(const Tensor& x, int64_t axis, Tensor& y) {
  if (x.dtype() == DType::F64)
    softmax_typed<double>(x, axis, true, y);
  else
    softmax_typed<float>(x, axis, true, y);
}

void log_softmax_backward(const Tensor& y, const Tensor& dy, int64_t axis, Tensor& dx) {
  if (y.dtype() == DType::F64)
    log_softmax_backward_typed<double>(y, dy, axis, dx);
  else
    log_softmax_backward_typed<float>(y, dy, axis, dx);
}

}  // namespace lucid::backend::reference
