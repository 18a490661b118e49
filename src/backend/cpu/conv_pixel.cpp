#include "backend/cpu/conv_pixel.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "backend/cpu/column_sums.h"
#include "lucid/error.h"

namespace lucid::backend::cpu {
namespace {

// One row-major sgemm: C (m x n) = op(A) op(B), with op(A) (m x k) and op(B) (k x n).
bool sgemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc) {
  return dnnl::sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc) == dnnl::status::success;
}

// Runs product(g), an sgemm, for every group: in parallel over groups when there are several
// (sgemm inside an OpenMP region runs on its calling thread), else once with sgemm's own threads.
// No exception may leave an OpenMP region, so failures are counted and thrown after it.
template <class Product>
void for_each_group(const char* op, int64_t groups, Product&& product) {
  int64_t failed = 0;
  if (groups == 1) {
    failed = !product(0);
  } else {
#pragma omp parallel for schedule(static) reduction(+ : failed)
    for (int64_t g = 0; g < groups; ++g) failed += !product(g);
  }
  if (failed) throw Error(op, "oneDNN sgemm failed");
}

// The (OC, C/G) weights of one tap, contiguous: weight itself for a 1x1 kernel, else a copy.
struct TapWeights {
  const float* data;
  std::vector<float> copy;
};

TapWeights tap_weights(const Tensor& weight, PixelTap tap) {
  const int64_t kh = weight.size(2), kw = weight.size(3);
  if (kh == 1 && kw == 1) return {weight.data<float>(), {}};
  const int64_t rows = weight.size(0) * weight.size(1);
  TapWeights t{nullptr, std::vector<float>(static_cast<size_t>(rows))};
  const float* w = weight.data<float>() + tap.h * kw + tap.w;
  for (int64_t r = 0; r < rows; ++r) t.copy[r] = w[r * kh * kw];
  t.data = t.copy.data();
  return t;
}

}  // namespace

std::optional<PixelTap> pixel_tap(const Shape& x, const Shape& weight, const Shape& y, const ops::Conv2dOptions& o) {
  if (x[2] != 1 || x[3] != 1 || y[2] != 1 || y[3] != 1) return std::nullopt;
  // Output pixel 0 reads input row k * dilation - padding through tap k.
  const auto tap = [&](int axis) -> int64_t {
    if (o.padding[axis] % o.dilation[axis] != 0) return -1;
    const int64_t k = o.padding[axis] / o.dilation[axis];
    return k < weight[2 + axis] ? k : -1;
  };
  const int64_t h = tap(0), w = tap(1);
  if (h < 0 || w < 0) return std::nullopt;
  return PixelTap{h, w};
}

// y[n, g*og + o] = sum_i x[n, g*ig + i] w[g*og + o, i] (+ bias): per group, y_g = x_g w_g^T.
void pixel_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t groups, PixelTap tap, Tensor& y) {
  const int64_t n = x.size(0), c = x.size(1), oc = y.size(1), ig = c / groups, og = oc / groups;
  const TapWeights w = tap_weights(weight, tap);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for_each_group("conv2d", groups, [&](int64_t g) {
    return sgemm('N', 'T', n, og, ig, xp + g * ig, c, w.data + g * og * ig, ig, yp + g * og, oc);
  });
  if (!bias.defined()) return;
  const float* b = bias.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < oc; ++o) yp[i * oc + o] += b[o];
}

// dx_g = dy_g w_g.
void pixel_conv2d_backward_data(const Tensor& dy, const Tensor& weight, int64_t groups, PixelTap tap, Tensor& dx) {
  const int64_t n = dx.size(0), c = dx.size(1), oc = dy.size(1), ig = c / groups, og = oc / groups;
  const TapWeights w = tap_weights(weight, tap);
  const float* dyp = dy.data<float>();
  float* dxp = dx.data<float>();
  for_each_group("conv2d_backward_data", groups, [&](int64_t g) {
    return sgemm('N', 'N', n, ig, og, dyp + g * og, oc, w.data + g * og * ig, ig, dxp + g * ig, c);
  });
}

// dw_g = dy_g^T x_g at the tap; the other taps read only padding, so their gradient is zero.
void pixel_conv2d_backward_weights(const Tensor& x, const Tensor& dy, int64_t groups, PixelTap tap, Tensor& dweight,
                                   Tensor& dbias) {
  const int64_t n = x.size(0), c = x.size(1), oc = dy.size(1), ig = c / groups, og = oc / groups;
  const int64_t kh = dweight.size(2), kw = dweight.size(3), taps = kh * kw;
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  float* dwp = dweight.data<float>();
  std::vector<float> at_tap(taps == 1 ? 0 : static_cast<size_t>(oc * ig));
  float* out = taps == 1 ? dwp : at_tap.data();
  for_each_group("conv2d_backward_weights", groups, [&](int64_t g) {
    return sgemm('T', 'N', og, ig, n, dyp + g * og, oc, xp + g * ig, c, out + g * og * ig, ig);
  });
  if (taps > 1) {
    const int64_t offset = tap.h * kw + tap.w;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < oc * ig; ++r) {
      float* cell = dwp + r * taps;
      for (int64_t t = 0; t < taps; ++t) cell[t] = 0.0f;
      cell[offset] = at_tap[r];
    }
  }
  if (dbias.defined()) column_sums(dyp, n, oc, dbias.data<float>());
}

}  // namespace lucid::backend::cpu
