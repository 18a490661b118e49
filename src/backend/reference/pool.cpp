#include <limits>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {

// Padding is -inf: it never wins, so each output is one of the input values exactly.
void max_pool2d(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = y.size(2), ow = y.size(3);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t a = 0; a < options.kernel[0]; ++a) {
          const int64_t hi = i * options.stride[0] - options.padding[0] + a;
          if (hi < 0 || hi >= h) continue;
          for (int64_t b = 0; b < options.kernel[1]; ++b) {
            const int64_t wi = j * options.stride[1] - options.padding[1] + b;
            if (wi < 0 || wi >= w) continue;
            const float v = xp[(p * h + hi) * w + wi];
            if (v > best) best = v;
          }
        }
        yp[(p * oh + i) * ow + j] = best;
      }
}

// torch's rule: output cell i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)).
void adaptive_avg_pool2d(const Tensor& x, Tensor& y) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = y.size(2), ow = y.size(3);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        double sum = 0.0;
        for (int64_t hi = h0; hi < h1; ++hi)
          for (int64_t wi = w0; wi < w1; ++wi) sum += xp[(p * h + hi) * w + wi];
        yp[(p * oh + i) * ow + j] = float(sum / double((h1 - h0) * (w1 - w0)));
      }
    }
}

}  // namespace lucid::backend::reference
