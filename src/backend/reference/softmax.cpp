#include <algorithm>
#include <cmath>

#include "backend/reference/reference.h"

namespace lucid::backend::reference {

// Viewed as (outer, axis, inner); the row maximum is subtracted so large logits cannot overflow.
void softmax(const Tensor& x, int64_t axis, Tensor& y) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  for (int64_t d = axis + 1; d < x.dim(); ++d) inner *= x.size(d);
  const int64_t len = x.size(axis);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      double top = xp[base];
      for (int64_t k = 1; k < len; ++k) top = std::max(top, double(xp[base + k * inner]));
      double sum = 0.0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(xp[base + k * inner] - top);
      for (int64_t k = 0; k < len; ++k) yp[base + k * inner] = float(std::exp(xp[base + k * inner] - top) / sum);
    }
}

}  // namespace lucid::backend::reference
