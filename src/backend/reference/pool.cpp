// Max and adaptive average pooling over (N,C,H,W) and their backward, F32 or F64.
#include <limits>
#include <vector>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

// Visits each output cell (plane p, row i, column j) with the flat index of its window's first
// maximum in x. Padding is -inf: it never wins, so each window's maximum is a real element.
template <class T, class Visit>
void for_each_max(const Tensor& x, const ops::Pool2dOptions& options, int64_t oh, int64_t ow, Visit visit) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const T* xp = x.data<T>();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t where = -1;
        for (int64_t a = 0; a < options.kernel[0]; ++a) {
          const int64_t hi = i * options.stride[0] - options.padding[0] + a;
          if (hi < 0 || hi >= h) continue;
          for (int64_t b = 0; b < options.kernel[1]; ++b) {
            const int64_t wi = j * options.stride[1] - options.padding[1] + b;
            if (wi < 0 || wi >= w) continue;
            const int64_t at = (p * h + hi) * w + wi;
            if (where < 0 || xp[at] > best) best = xp[at], where = at;
          }
        }
        visit((p * oh + i) * ow + j, where);
      }
}

template <class T>
void max_pool2d_typed(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y) {
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  for_each_max<T>(x, options, y.size(2), y.size(3), [&](int64_t out, int64_t at) { yp[out] = xp[at]; });
}

// Gradients that overlapping windows send to one element add up, in double.
template <class T>
void store(const std::vector<double>& sums, Tensor& dx) {
  T* dp = dx.data<T>();
  for (int64_t i = 0; i < dx.numel(); ++i) dp[i] = T(sums[i]);
}

// The gradient of each output goes to its window's first maximum.
template <class T>
void max_pool2d_backward_typed(const Tensor& x, const Tensor& dy, const ops::Pool2dOptions& options, Tensor& dx) {
  const T* gp = dy.data<T>();
  std::vector<double> sums(dx.numel(), 0.0);
  for_each_max<T>(x, options, dy.size(2), dy.size(3), [&](int64_t out, int64_t at) { sums[at] += gp[out]; });
  store<T>(sums, dx);
}

// torch's rule: output cell i covers input rows [floor(i*H/OH), ceil((i+1)*H/OH)). Visits each
// output cell with its window and the window's area.
template <class Visit>
void for_each_cell(const Shape& in, const Shape& out, Visit visit) {
  const int64_t planes = in[0] * in[1], h = in[2], w = in[3], oh = out[2], ow = out[3];
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        visit((p * oh + i) * ow + j, p * h * w, h0, h1, w0, w1, double((h1 - h0) * (w1 - w0)));
      }
    }
}

template <class T>
void adaptive_avg_pool2d_typed(const Tensor& x, Tensor& y) {
  const int64_t w = x.size(3);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  for_each_cell(x.shape(), y.shape(), [&](int64_t out, int64_t plane, int64_t h0, int64_t h1, int64_t w0,
                                          int64_t w1, double area) {
    double sum = 0.0;
    for (int64_t hi = h0; hi < h1; ++hi)
      for (int64_t wi = w0; wi < w1; ++wi) sum += xp[plane + hi * w + wi];
    yp[out] = T(sum / area);
  });
}

// Each input element gets dy / area from every cell whose window holds it.
template <class T>
void adaptive_avg_pool2d_backward_typed(const Tensor& dy, Tensor& dx) {
  const int64_t w = dx.size(3);
  const T* gp = dy.data<T>();
  std::vector<double> sums(dx.numel(), 0.0);
  for_each_cell(dx.shape(), dy.shape(), [&](int64_t out, int64_t plane, int64_t h0, int64_t h1, int64_t w0,
                                            int64_t w1, double area) {
    for (int64_t hi = h0; hi < h1; ++hi)
      for (int64_t wi = w0; wi < w1; ++wi) sums[plane + hi * w + wi] += gp[out] / area;
  });
  store<T>(sums, dx);
}

}  // namespace

void max_pool2d(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y) {
  if (x.dtype() == DType::F64)
    max_pool2d_typed<double>(x, options, y);
  else
    max_pool2d_typed<float>(x, options, y);
}

void max_pool2d_backward(const Tensor& x, const Tensor& dy, const ops::Pool2dOptions& options, Tensor& dx) {
  if (x.dtype() == DType::F64)
    max_pool2d_backward_typed<double>(x, dy, options, dx);
  else
    max_pool2d_backward_typed<float>(x, dy, options, dx);
}

void adaptive_avg_pool2d(const Tensor& x, Tensor& y) {
  if (x.dtype() == DType::F64)
    adaptive_avg_pool2d_typed<double>(x, y);
  else
    adaptive_avg_pool2d_typed<float>(x, y);
}

void adaptive_avg_pool2d_backward(const Tensor& dy, Tensor& dx) {
  if (dy.dtype() == DType::F64)
    adaptive_avg_pool2d_backward_typed<double>(dy, dx);
  else
    adaptive_avg_pool2d_backward_typed<float>(dy, dx);
}

}  // namespace lucid::backend::reference
