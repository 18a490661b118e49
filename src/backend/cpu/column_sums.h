// The bias gradient of a row-major (rows, cols) matrix of output gradients: each column summed
// in double (a batch of float gradients summed in float loses the small ones).
#pragma once

#include <cstdint>

namespace lucid::backend::cpu {

inline void column_sums(const float* m, int64_t rows, int64_t cols, float* sums) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < cols; ++c) {
    double sum = 0.0;
    for (int64_t r = 0; r < rows; ++r) sum += m[r * cols + c];
    sums[c] = float(sum);
  }
}

}  // namespace lucid::backend::cpu
