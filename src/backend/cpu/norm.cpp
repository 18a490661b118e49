#include <cmath>
#include <vector>

#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> cache(64);

}  // namespace

// Inference batch norm as y = x * scale + shift per channel, with scale = weight / sqrt(var + eps)
// and shift = bias - mean * scale folded in double: torch's own CPU inference formula. It runs as
// one jit binary (mul, with the add as a post-op) on plain NCHW, where oneDNN's
// batch_normalization primitive only has a generic kernel (ncsp_bnorm, ~3x slower).
void batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                const Tensor& bias, float eps, Tensor& y) {
  const int64_t n = x.size(0), c = x.size(1), inner = x.numel() / (n * c);
  std::vector<float> scale(c), shift(c);
  const float* mp = mean.data<float>();
  const float* vp = var.data<float>();
  const float* wp = weight.defined() ? weight.data<float>() : nullptr;
  const float* bp = bias.defined() ? bias.data<float>() : nullptr;
  for (int64_t ch = 0; ch < c; ++ch) {
    const double s = (wp ? wp[ch] : 1.0) / std::sqrt(double(vp[ch]) + eps);
    scale[ch] = float(s);
    shift[ch] = float((bp ? bp[ch] : 0.0) - mp[ch] * s);
  }
  guarded("batch_norm", [&] {
    // (N,C,...) viewed as (N,C,inner,1), the channel vector broadcast over N and space. With
    // inner == 1 oneDNN 2.6's jit binary applies a per-channel post-op wrongly when N > 1 (found
    // by the op table), so that case is viewed as (N,C), which it handles.
    const bool flat = inner == 1;
    const auto data = flat ? f32_desc({n, c}, Tag::ab) : f32_desc({n, c, inner, 1}, Tag::nchw);
    const auto channel = flat ? f32_desc({1, c}, Tag::ab) : f32_desc({1, c, 1, 1}, Tag::nchw);
    auto step = cache.get({n, c, inner}, [&] {
      dnnl::post_ops post;
      post.append_binary(dnnl::algorithm::binary_add, channel);
      dnnl::primitive_attr attr = user_scratchpad();
      attr.set_post_ops(post);
      dnnl::binary::desc desc(dnnl::algorithm::binary_mul, data, channel, data);
      dnnl::binary::primitive_desc pd(desc, attr, engine());
      return make_step<dnnl::binary>(pd);
    });
    step->run({{DNNL_ARG_SRC_0, wrap(x, data)},
               {DNNL_ARG_SRC_1, memory(channel, engine(), scale.data())},
               {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, memory(channel, engine(), shift.data())},
               {DNNL_ARG_DST, wrap(y, data)}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
