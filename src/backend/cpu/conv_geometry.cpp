#include "backend/cpu/conv_geometry.h"

namespace lucid::backend::cpu {

ConvGeometry conv_geometry(const Shape& x, const Shape& weight, const Shape& y, const ops::Conv2dOptions& o) {
  const int64_t g = o.groups;
  return {
      .src = {x[0], x[1], x[2], x[3]},
      // torch's (OC, C/G, KH, KW) is, byte for byte, oneDNN's grouped (G, OC/G, C/G, KH, KW).
      .weights = g == 1 ? Dims{weight[0], weight[1], weight[2], weight[3]}
                        : Dims{g, weight[0] / g, weight[1], weight[2], weight[3]},
      .dst = {y[0], y[1], y[2], y[3]},
      .strides = {o.stride[0], o.stride[1]},
      .dilates = {o.dilation[0] - 1, o.dilation[1] - 1},  // oneDNN counts the gaps: 0 = dense
      .padding = {o.padding[0], o.padding[1]},
      .weights_tag = g == 1 ? Tag::oihw : Tag::goihw,
  };
}

CacheKey conv_key(const Shape& x, const Shape& weight, const ops::Conv2dOptions& o, bool has_bias) {
  return {x[0],        x[1],        x[2],          x[3],          weight[0],     weight[2], weight[3],
          o.stride[0], o.stride[1], o.padding[0],  o.padding[1],  o.dilation[0], o.dilation[1],
          o.groups,    has_bias};
}

dnnl::convolution_forward::desc conv_forward_desc(const ConvGeometry& g, bool has_bias, dnnl::prop_kind prop) {
  using dnnl::convolution_forward;
  const auto alg = dnnl::algorithm::convolution_direct;
  const auto src = f32_desc(g.src, Tag::any), weights = f32_desc(g.weights, Tag::any);
  const auto dst = f32_desc(g.dst, Tag::any);
  return has_bias ? convolution_forward::desc(prop, alg, src, weights, g.bias(), dst, g.strides, g.dilates,
                                              g.padding, g.padding)
                  : convolution_forward::desc(prop, alg, src, weights, dst, g.strides, g.dilates, g.padding,
                                              g.padding);
}

}  // namespace lucid::backend::cpu
