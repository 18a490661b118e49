#include "engine/fold.h"

#include <cmath>

namespace lucid::engine {

FoldedConv fold_batch_norm(const nn::Conv2d& conv, const nn::BatchNorm2d& bn) {
  const int64_t out = conv.weight.size(0), per_out = conv.weight.numel() / out;
  const float* w = conv.weight.data<float>();
  const float* b = conv.bias.defined() ? conv.bias.data<float>() : nullptr;
  const float *gamma = bn.weight.data<float>(), *beta = bn.bias.data<float>();
  const float *mean = bn.running_mean.data<float>(), *var = bn.running_var.data<float>();
  FoldedConv folded{std::vector<float>(conv.weight.numel()), std::vector<float>(out)};
  for (int64_t o = 0; o < out; ++o) {
    const double s = double(gamma[o]) / std::sqrt(double(var[o]) + double(bn.eps()));
    for (int64_t i = 0; i < per_out; ++i) folded.weight[o * per_out + i] = float(double(w[o * per_out + i]) * s);
    folded.bias[o] = float(((b ? double(b[o]) : 0.0) - double(mean[o])) * s + double(beta[o]));
  }
  return folded;
}

}  // namespace lucid::engine
