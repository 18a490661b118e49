#include <cmath>

#include "lucid/error.h"
#include "lucid/nn/layers.h"

namespace lucid::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) {
  if (in_features < 1 || out_features < 1)
    throw ValueError("Linear", cat("in_features (", in_features, ") and out_features (", out_features, ") must be positive"));
  weight = add_parameter("weight", Tensor::empty({out_features, in_features}));
  // torch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; torchvision keeps it for fc.
  float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
  Generator& init = default_generator();
  if (!SkipInit::active()) init.uniform_(weight, -bound, bound);
  if (with_bias) {
    bias = add_parameter("bias", Tensor::empty({out_features}));
    if (!SkipInit::active()) init.uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) { return ops::linear(x, weight, bias); }

int64_t Linear::macs(const Shape& output) const { return numel(output) * weight.size(1); }

}  // namespace lucid::nn
