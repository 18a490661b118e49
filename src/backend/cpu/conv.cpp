#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

// The convolution lets oneDNN pick its layouts (format_tag::any): with plain nchw it may fall
// back to slow kernels, notably for grouped convs. The plan holds the reorders between the
// tensors' plain layouts and the chosen ones. Weights are reordered on every call, since
// training may change them between calls.
struct ConvPlan {
  memory::desc src, weights, dst;                    // plain: NCHW, (G)OIHW, NCHW
  memory::desc src_inner, weights_inner, dst_inner;  // what the convolution chose
  Step conv;
  std::optional<Step> src_in, weights_in, dst_out;
};

ConvPlan make_plan(const Shape& xs, const Shape& ws, const Shape& ys, bool has_bias,
                   const ops::Conv2dOptions& o) {
  using dnnl::convolution_forward;
  const int64_t g = o.groups;
  const Dims src_dims{xs[0], xs[1], xs[2], xs[3]}, dst_dims{ys[0], ys[1], ys[2], ys[3]};
  // torch's (OC, C/G, KH, KW) is, byte for byte, oneDNN's grouped (G, OC/G, C/G, KH, KW).
  const Dims w_dims = g == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{g, ws[0] / g, ws[1], ws[2], ws[3]};
  const Dims strides{o.stride[0], o.stride[1]}, padding{o.padding[0], o.padding[1]};
  const Dims dilates{o.dilation[0] - 1, o.dilation[1] - 1};  // oneDNN counts the gaps: 0 = dense

  const auto src_any = f32_desc(src_dims, Tag::any), w_any = f32_desc(w_dims, Tag::any);
  const auto dst_any = f32_desc(dst_dims, Tag::any);
  // Direct, not auto: auto may pick Winograd, which trades accuracy for speed.
  const auto alg = dnnl::algorithm::convolution_direct;
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto desc = has_bias ? convolution_forward::desc(prop, alg, src_any, w_any, f32_desc({ws[0]}, Tag::x),
                                                         dst_any, strides, dilates, padding, padding)
                             : convolution_forward::desc(prop, alg, src_any, w_any, dst_any, strides, dilates,
                                                         padding, padding);
  convolution_forward::primitive_desc pd(desc, user_scratchpad(), engine());

  ConvPlan plan{
      .src = f32_desc(src_dims, Tag::nchw),
      .weights = f32_desc(w_dims, g == 1 ? Tag::oihw : Tag::goihw),
      .dst = f32_desc(dst_dims, Tag::nchw),
      .src_inner = pd.src_desc(),
      .weights_inner = pd.weights_desc(),
      .dst_inner = pd.dst_desc(),
      .conv = make_step<convolution_forward>(pd),
      .src_in = {},
      .weights_in = {},
      .dst_out = {},
  };
  plan.src_in = make_reorder(plan.src, plan.src_inner);
  plan.weights_in = make_reorder(plan.weights, plan.weights_inner);
  plan.dst_out = make_reorder(plan.dst_inner, plan.dst);
  return plan;
}

PrimitiveCache<ConvPlan> cache(128);

}  // namespace

void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ops::Conv2dOptions& options,
            Tensor& y) {
  guarded("conv2d", [&] {
    const Shape& xs = x.shape();
    const Shape& ws = weight.shape();
    const CacheKey key{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], options.stride[0], options.stride[1],
                       options.padding[0], options.padding[1], options.dilation[0], options.dilation[1],
                       options.groups, bias.defined()};
    auto plan = cache.get(key, [&] { return make_plan(xs, ws, y.shape(), bias.defined(), options); });

    const memory src = reordered(plan->src_in, wrap(x, plan->src), plan->src_inner, Slot::src);
    const memory weights = reordered(plan->weights_in, wrap(weight, plan->weights), plan->weights_inner, Slot::weights);
    const memory dst_user = wrap(y, plan->dst);
    const memory dst = plan->dst_out ? workspace(plan->dst_inner, Slot::dst) : dst_user;
    Args args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, wrap(bias, f32_desc({ws[0]}, Tag::x)));
    plan->conv.run(std::move(args));
    if (plan->dst_out) plan->dst_out->run({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_user}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
