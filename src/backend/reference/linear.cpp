// Fully connected layer and its backward, F32 or F64, accumulating in double.
#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

// x (N,in), weight (out,in) -> y (N,out).
template <class T>
void linear_typed(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  const int64_t n_batch = x.size(0), in = x.size(1), out = weight.size(0);
  const T* xp = x.data<T>();
  const T* wp = weight.data<T>();
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  T* yp = y.data<T>();
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double acc = bp ? bp[o] : 0.0;
      for (int64_t k = 0; k < in; ++k) acc += double(xp[n * in + k]) * wp[o * in + k];
      yp[n * out + o] = T(acc);
    }
}

// dy (N,out): dx = dy weight (N,in), dweight = dy^T x (out,in), dbias = sum over N of dy (out).
template <class T>
void linear_backward_typed(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                           Tensor& dbias) {
  const int64_t n_batch = x.size(0), in = x.size(1), out = weight.size(0);
  const T* xp = x.data<T>();
  const T* wp = weight.data<T>();
  const T* gp = dy.data<T>();
  if (dx.defined())
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < in; ++k) {
        double acc = 0.0;
        for (int64_t o = 0; o < out; ++o) acc += double(gp[n * out + o]) * wp[o * in + k];
        dx.data<T>()[n * in + k] = T(acc);
      }
  if (dweight.defined())
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < in; ++k) {
        double acc = 0.0;
        for (int64_t n = 0; n < n_batch; ++n) acc += double(gp[n * out + o]) * xp[n * in + k];
        dweight.data<T>()[o * in + k] = T(acc);
      }
  if (dbias.defined())
    for (int64_t o = 0; o < out; ++o) {
      double acc = 0.0;
      for (int64_t n = 0; n < n_batch; ++n) acc += gp[n * out + o];
      dbias.data<T>()[o] = T(acc);
    }
}

}  // namespace

void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  if (x.dtype() == DType::F64)
    linear_typed<double>(x, weight, bias, y);
  else
    linear_typed<float>(x, weight, bias, y);
}

void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                     Tensor& dbias) {
  if (x.dtype() == DType::F64)
    linear_backward_typed<double>(x, weight, dy, dx, dweight, dbias);
  else
    linear_backward_typed<float>(x, weight, dy, dx, dweight, dbias);
}

}  // namespace lucid::backend::reference
