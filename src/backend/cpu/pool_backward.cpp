// Pooling backward as OpenMP loops over (N*C) planes. oneDNN's max pooling backward needs the
// workspace of a training forward (the argmax of each window), which the kernel seam does not
// carry; recomputing the argmax from x reads one plane that is in cache anyway.
#include <algorithm>
#include <cstring>

#include "backend/cpu/cpu.h"

namespace lucid::backend::cpu {

// The gradient of each output goes to its window's first maximum (torch's choice on ties).
void max_pool2d_backward(const Tensor& x, const Tensor& dy, const ops::Pool2dOptions& options, Tensor& dx) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = dy.size(2), ow = dy.size(3);
  const int64_t kh = options.kernel[0], kw = options.kernel[1], sh = options.stride[0], sw = options.stride[1];
  const int64_t ph = options.padding[0], pw = options.padding[1];
  const float* xp = x.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = xp + p * h * w;
    const float* g = gp + p * oh * ow;
    float* d = dp + p * h * w;
    std::memset(d, 0, sizeof(float) * h * w);
    for (int64_t i = 0; i < oh; ++i) {
      // The window clipped to the image: padding never wins a max.
      const int64_t h0 = std::max<int64_t>(i * sh - ph, 0), h1 = std::min(i * sh - ph + kh, h);
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = std::max<int64_t>(j * sw - pw, 0), w1 = std::min(j * sw - pw + kw, w);
        // Selects rather than branches: which element wins is data, not a pattern to predict.
        int64_t where = h0 * w + w0;
        float best = in[where];
        for (int64_t a = h0; a < h1; ++a)
          for (int64_t b = w0; b < w1; ++b) {
            const float v = in[a * w + b];
            const bool wins = v > best;
            best = wins ? v : best;
            where = wins ? a * w + b : where;
          }
        d[where] += g[i * ow + j];
      }
    }
  }
}

// torch's windows, [floor(i*H/OH), ceil((i+1)*H/OH)): each input element gets dy / area from
// every output cell whose window holds it (global pooling: one cell spread over the plane).
void adaptive_avg_pool2d_backward(const Tensor& dy, Tensor& dx) {
  const int64_t planes = dx.size(0) * dx.size(1), h = dx.size(2), w = dx.size(3);
  const int64_t oh = dy.size(2), ow = dy.size(3);
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* g = gp + p * oh * ow;
    float* d = dp + p * h * w;
    std::memset(d, 0, sizeof(float) * h * w);
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        const float share = g[i * ow + j] / float((h1 - h0) * (w1 - w0));
        for (int64_t a = h0; a < h1; ++a)
          for (int64_t b = w0; b < w1; ++b) d[a * w + b] += share;
      }
    }
  }
}

}  // namespace lucid::backend::cpu
