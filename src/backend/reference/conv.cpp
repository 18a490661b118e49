// Direct convolution, F32 or F64, accumulating in double.
#include "backend/reference/reference.h"

namespace lucid::backend::reference {
namespace {

// x (N,C,H,W), weight (OC,C/G,KH,KW) -> y (N,OC,OH,OW); out-of-range taps read zero padding.
template <class T>
void conv2d_typed(const Tensor& x, const Tensor& weight, const Tensor& bias, const ops::Conv2dOptions& options,
                  Tensor& y) {
  const int64_t n_batch = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oc = y.size(1), oh = y.size(2), ow = y.size(3);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  const int64_t cg = c / options.groups, ocg = oc / options.groups;
  const auto [sh, sw] = options.stride;
  const auto [ph, pw] = options.padding;
  const auto [dh, dw] = options.dilation;
  const T* xp = x.data<T>();
  const T* wp = weight.data<T>();
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  T* yp = y.data<T>();

  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t first_channel = o / ocg * cg;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bp ? bp[o] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t a = 0; a < kh; ++a) {
              const int64_t hi = i * sh - ph + a * dh;
              if (hi < 0 || hi >= h) continue;
              for (int64_t b = 0; b < kw; ++b) {
                const int64_t wi = j * sw - pw + b * dw;
                if (wi < 0 || wi >= w) continue;
                acc += double(xp[((n * c + first_channel + ci) * h + hi) * w + wi]) *
                       wp[((o * cg + ci) * kh + a) * kw + b];
              }
            }
          yp[((n * oc + o) * oh + i) * ow + j] = T(acc);
        }
    }
}

}  // namespace

void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ops::Conv2dOptions& options,
            Tensor& y) {
  if (x.dtype() == DType::F64)
    conv2d_typed<double>(x, weight, bias, options, y);
  else
    conv2d_typed<float>(x, weight, bias, options, y);
}

}  // namespace lucid::backend::reference
