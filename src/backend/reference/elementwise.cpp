// Elementwise ops and their backward, F32 or F64. A sum or product of two floats is correctly
// rounded already; accumulating in double would round to the same value.
#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

template <class T, class F>
void map2(const Tensor& a, const Tensor& b, Tensor& y, F f) {
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* yp = y.data<T>();
  for (int64_t i = 0; i < y.numel(); ++i) yp[i] = f(ap[i], bp[i]);
}

template <class T>
void relu_typed(const Tensor& x, Tensor& y) {
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  for (int64_t i = 0; i < x.numel(); ++i) yp[i] = xp[i] > T(0) ? xp[i] : T(0);
}

}  // namespace

void relu(const Tensor& x, Tensor& y) {
  if (x.dtype() == DType::F64)
    relu_typed<double>(x, y);
  else
    relu_typed<float>(x, y);
}

// Where relu's output is 0 the input was <= 0: no gradient (torch's choice at exactly 0).
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  auto grad = [](auto out, auto g) { return out > 0 ? g : decltype(g)(0); };
  if (y.dtype() == DType::F64)
    map2<double>(y, dy, dx, grad);
  else
    map2<float>(y, dy, dx, grad);
}

void add(const Tensor& a, const Tensor& b, Tensor& y) {
  auto sum = [](auto p, auto q) { return p + q; };
  if (a.dtype() == DType::F64)
    map2<double>(a, b, y, sum);
  else
    map2<float>(a, b, y, sum);
}

void mul(const Tensor& a, const Tensor& b, Tensor& y) {
  auto product = [](auto p, auto q) { return p * q; };
  if (a.dtype() == DType::F64)
    map2<double>(a, b, y, product);
  else
    map2<float>(a, b, y, product);
}

}  // namespace lucid::backend::reference
