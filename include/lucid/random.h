// Seeded random fills. A fill of n values is cut into fixed chunks, each with its own stream
// derived from (seed, draw number, chunk), so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "lucid/tensor.h"

namespace lucid {

// Everything a Generator's future draws depend on: saved in training checkpoints so that a
// resumed run draws what the uninterrupted one would have.
struct GeneratorState {
  uint64_t seed = 0;
  uint64_t draws = 0;
  bool operator==(const GeneratorState&) const = default;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void normal_(Tensor& t, float mean, float std);
  void uniform_(Tensor& t, float low, float high);
  // Keeps each value with probability 1 - p, scaled by 1 / (1 - p); zeroes the rest (dropout).
  void dropout_mask_(Tensor& mask, float p);

  GeneratorState state() const { return {seed_, draws_}; }
  void set_state(const GeneratorState& state) {
    seed_ = state.seed;
    draws_ = state.draws;
  }

 private:
  uint64_t seed_;
  uint64_t draws_ = 0;  // fills so far: each fill gets fresh streams
};

// The generator layers draw their initial weights from, like torch's global one.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace lucid
