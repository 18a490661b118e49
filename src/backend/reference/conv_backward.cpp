// Convolution backward, F32 or F64, accumulating in double. Both kernels gather: each output
// element sums every (input, weight, dy) triple of the forward that touched it, so no element
// is written twice and the loops mirror the forward's index arithmetic.
#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

// The output position i whose tap `a` reads input row hi (hi = i*stride - pad + a*dilation),
// or -1 when no output position does.
int64_t source_position(int64_t hi, int64_t a, int64_t stride, int64_t pad, int64_t dilation, int64_t out) {
  const int64_t t = hi + pad - a * dilation;
  if (t < 0 || t % stride != 0 || t / stride >= out) return -1;
  return t / stride;
}

// dy (N,OC,OH,OW), weight (OC,C/G,KH,KW) -> dx (N,C,H,W).
template <class T>
void backward_data_typed(const Tensor& dy, const Tensor& weight, const ops::Conv2dOptions& options, Tensor& dx) {
  const int64_t n_batch = dx.size(0), c = dx.size(1), h = dx.size(2), w = dx.size(3);
  const int64_t oc = dy.size(1), oh = dy.size(2), ow = dy.size(3);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  const int64_t cg = c / options.groups, ocg = oc / options.groups;
  const auto [sh, sw] = options.stride;
  const auto [ph, pw] = options.padding;
  const auto [dh, dw] = options.dilation;
  const T* gp = dy.data<T>();
  const T* wp = weight.data<T>();
  T* xp = dx.data<T>();

  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t g = ch / cg, ci = ch % cg;
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t wi = 0; wi < w; ++wi) {
          double acc = 0.0;
          for (int64_t o = g * ocg; o < (g + 1) * ocg; ++o)
            for (int64_t a = 0; a < kh; ++a) {
              const int64_t i = source_position(hi, a, sh, ph, dh, oh);
              if (i < 0) continue;
              for (int64_t b = 0; b < kw; ++b) {
                const int64_t j = source_position(wi, b, sw, pw, dw, ow);
                if (j < 0) continue;
                acc += double(gp[((n * oc + o) * oh + i) * ow + j]) * wp[((o * cg + ci) * kh + a) * kw + b];
              }
            }
          xp[((n * c + ch) * h + hi) * w + wi] = T(acc);
        }
    }
}

// x (N,C,H,W), dy (N,OC,OH,OW) -> dweight (OC,C/G,KH,KW) and, when defined, dbias (OC).
template <class T>
void backward_weights_typed(const Tensor& x, const Tensor& dy, const ops::Conv2dOptions& options, Tensor& dweight,
                            Tensor& dbias) {
  const int64_t n_batch = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oc = dy.size(1), oh = dy.size(2), ow = dy.size(3);
  const int64_t kh = dweight.size(2), kw = dweight.size(3);
  const int64_t cg = c / options.groups, ocg = oc / options.groups;
  const auto [sh, sw] = options.stride;
  const auto [ph, pw] = options.padding;
  const auto [dh, dw] = options.dilation;
  const T* xp = x.data<T>();
  const T* gp = dy.data<T>();
  T* wp = dweight.data<T>();

  for (int64_t o = 0; o < oc; ++o) {
    const int64_t first_channel = o / ocg * cg;
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) {
          double acc = 0.0;
          for (int64_t n = 0; n < n_batch; ++n)
            for (int64_t i = 0; i < oh; ++i) {
              const int64_t hi = i * sh - ph + a * dh;
              if (hi < 0 || hi >= h) continue;
              for (int64_t j = 0; j < ow; ++j) {
                const int64_t wi = j * sw - pw + b * dw;
                if (wi < 0 || wi >= w) continue;
                acc += double(gp[((n * oc + o) * oh + i) * ow + j]) *
                       xp[((n * c + first_channel + ci) * h + hi) * w + wi];
              }
            }
          wp[((o * cg + ci) * kh + a) * kw + b] = T(acc);
        }
  }
  if (!dbias.defined()) return;
  for (int64_t o = 0; o < oc; ++o) {
    double acc = 0.0;
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t k = 0; k < oh * ow; ++k) acc += gp[(n * oc + o) * oh * ow + k];
    dbias.data<T>()[o] = T(acc);
  }
}

}  // namespace

void conv2d_backward_data(const Tensor& dy, const Tensor& weight, const ops::Conv2dOptions& options, Tensor& dx) {
  if (dy.dtype() == DType::F64)
    backward_data_typed<double>(dy, weight, options, dx);
  else
    backward_data_typed<float>(dy, weight, options, dx);
}

void conv2d_backward_weights(const Tensor& x, const Tensor& dy, const ops::Conv2dOptions& options, Tensor& dweight,
                             Tensor& dbias) {
  if (x.dtype() == DType::F64)
    backward_weights_typed<double>(x, dy, options, dweight, dbias);
  else
    backward_weights_typed<float>(x, dy, options, dweight, dbias);
}

}  // namespace lucid::backend::reference
