// Helpers for the tests of lucid's nChw8c kernels: random data and the plain -> nChw8c layout.
#pragma once

#include <random>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::testing {

inline std::vector<float> uniform(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// (N, C, H, W) plain -> nChw8c.
inline std::vector<float> to_blocked(const std::vector<float>& plain, const Shape& s) {
  std::vector<float> out(plain.size());
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t i = 0; i < s[2] * s[3]; ++i)
        out[size_t(((n * (s[1] / 8) + c / 8) * s[2] * s[3] + i) * 8 + c % 8)] = plain[size_t((n * s[1] + c) * s[2] * s[3] + i)];
  return out;
}

}  // namespace lucid::testing
