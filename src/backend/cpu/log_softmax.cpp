// log_softmax and its backward as OpenMP loops over rows. oneDNN 2.6's logsoftmax is about 20
// ulp off (2e-6 on log-probabilities near -1, where torch and these loops are within 1e-7), and a
// classifier's (N,C) is too small for speed to matter.
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu.h"

namespace lucid::backend::cpu {
namespace {

// x viewed as (outer, len, inner): calls row(first, stride) for each row along the middle axis.
template <class Row>
void for_each_row(const Tensor& x, int64_t axis, Row row) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  for (int64_t d = axis + 1; d < x.dim(); ++d) inner *= x.size(d);
  const int64_t len = x.size(axis);
#pragma omp parallel for schedule(static) if (outer * inner > 64)
  for (int64_t r = 0; r < outer * inner; ++r) row((r / inner) * len * inner + r % inner, len, inner);
}

}  // namespace

// y = x - top - log(sum exp(x - top)), top the row's maximum (so exp cannot overflow).
void log_softmax(const Tensor& x, int64_t axis, Tensor& y) {
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for_each_row(x, axis, [&](int64_t first, int64_t len, int64_t stride) {
    const float* in = xp + first;
    float* out = yp + first;
    float top = in[0];
    for (int64_t k = 1; k < len; ++k) top = std::max(top, in[k * stride]);
    double sum = 0.0;
    for (int64_t k = 0; k < len; ++k) sum += std::exp(in[k * stride] - top);
    const double offset = double(top) + std::log(sum);
    for (int64_t k = 0; k < len; ++k) out[k * stride] = float(in[k * stride] - offset);
  });
}

// From the output alone: dx = dy - exp(y) * sum(dy) along the axis.
void log_softmax_backward(const Tensor& y, const Tensor& dy, int64_t axis, Tensor& dx) {
  const float* yp = y.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
  for_each_row(y, axis, [&](int64_t first, int64_t len, int64_t stride) {
    double sum = 0.0;
    for (int64_t k = 0; k < len; ++k) sum += gp[first + k * stride];
    for (int64_t k = 0; k < len; ++k) {
      const int64_t i = first + k * stride;
      dp[i] = float(gp[i] - std::exp(double(yp[i])) * sum);
    }
  });
}

}  // namespace lucid::backend::cpu
