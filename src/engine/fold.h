// BatchNorm folded into the convolution before it.
#pragma once

#include <vector>

#include "lucid/nn/layers.h"

namespace lucid::engine {

struct FoldedConv {
  std::vector<float> weight;  // (O, I/G, KH, KW), as the conv's
  std::vector<float> bias;    // (O)
};

// conv then bn as one conv: with s = gamma / sqrt(var + eps), w' = w * s and
// b' = (b - mean) * s + beta. Computed in double and rounded once.
FoldedConv fold_batch_norm(const nn::Conv2d& conv, const nn::BatchNorm2d& bn);

}  // namespace lucid::engine
