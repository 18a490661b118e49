// The seeded stream behind data order and augmentations (SplitMix64). std:: distributions differ
// between standard libraries; this gives the same numbers everywhere, on any thread.
#pragma once

#include <cstdint>

namespace lucid::data {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform();          // [0, 1), 53 bits
  int64_t below(int64_t n);  // [0, n) for n >= 1, unbiased enough for n far below 2^64

 private:
  uint64_t state_;
};

// The seed of stream `index` of `seed`: one stream per epoch, one per sample, unrelated to each other.
uint64_t derive_seed(uint64_t seed, uint64_t index);

}  // namespace lucid::data
