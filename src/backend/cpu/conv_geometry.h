// One convolution in oneDNN's terms, shared by the forward and backward kernels: the plain
// layouts of torch's tensors, the options as oneDNN counts them, and the shape key of the caches.
#pragma once

#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"
#include "lucid/ops.h"

namespace lucid::backend::cpu {

struct ConvGeometry {
  Dims src, weights, dst;  // (N,C,H,W); (OC,C,KH,KW) or grouped (G,OC/G,C/G,KH,KW); (N,OC,OH,OW)
  Dims strides, dilates, padding;
  Tag weights_tag;  // oihw or goihw

  memory::desc plain_src() const { return f32_desc(src, Tag::nchw); }
  memory::desc plain_weights() const { return f32_desc(weights, weights_tag); }
  memory::desc plain_dst() const { return f32_desc(dst, Tag::nchw); }
  memory::desc bias() const { return f32_desc({dst[1]}, Tag::x); }
};

// x (N,C,H,W), weight (OC,C/G,KH,KW), y (N,OC,OH,OW) as torch lays them out.
ConvGeometry conv_geometry(const Shape& x, const Shape& weight, const Shape& y, const ops::Conv2dOptions& options);
// Everything a convolution primitive depends on (the output shape follows from the rest).
CacheKey conv_key(const Shape& x, const Shape& weight, const ops::Conv2dOptions& options, bool has_bias);
// A direct convolution with every layout left to oneDNN (format_tag::any). Direct, not auto:
// auto may pick Winograd, which trades accuracy for speed.
dnnl::convolution_forward::desc conv_forward_desc(const ConvGeometry& g, bool has_bias, dnnl::prop_kind prop);

}  // namespace lucid::backend::cpu
