#include <cmath>

#include "lucid/error.h"
#include "lucid/nn/layers.h"

namespace lucid::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& o)
    : options_{{o.stride, o.stride}, {o.padding, o.padding}, {o.dilation, o.dilation}, o.groups} {
  if (in_channels < 1 || out_channels < 1 || o.kernel < 1 || o.groups < 1)
    throw ValueError("Conv2d", cat("in_channels (", in_channels, "), out_channels (", out_channels,
                                   "), kernel (", o.kernel, ") and groups (", o.groups, ") must be positive"));
  if (in_channels % o.groups || out_channels % o.groups)
    throw ValueError("Conv2d", cat("groups (", o.groups, ") must divide in_channels (", in_channels,
                                   ") and out_channels (", out_channels, ")"));
  weight = add_parameter("weight", Tensor::empty({out_channels, in_channels / o.groups, o.kernel, o.kernel}));
  // torch's default: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias alike.
  float bound = 1.0f / std::sqrt(static_cast<float>(in_channels / o.groups * o.kernel * o.kernel));
  Generator& init = default_generator();
  if (!SkipInit::active()) init.uniform_(weight, -bound, bound);
  if (o.bias) {
    bias = add_parameter("bias", Tensor::empty({out_channels}));
    if (!SkipInit::active()) init.uniform_(bias, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return ops::conv2d(x, weight, bias, options_); }

int64_t Conv2d::macs(const Shape& output) const {
  const Shape& w = weight.shape();  // (out, in / groups, kh, kw): each output value costs in/groups*kh*kw
  return numel(output) * w[1] * w[2] * w[3];
}

}  // namespace lucid::nn
