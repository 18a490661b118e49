#include "backend/cpu/conv_geometry.h"
#include "backend/cpu/conv_pixel.h"
#include "backend/cpu/cpu.h"

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

ConvPlan make_plan(const ConvGeometry& g, bool has_bias) {
  using dnnl::convolution_forward;
  const auto desc = conv_forward_desc(g, has_bias, dnnl::prop_kind::forward_inference);
  convolution_forward::primitive_desc pd(desc, user_scratchpad(), engine());
  ConvPlan plan{
      .src = g.plain_src(),
      .weights = g.plain_weights(),
      .dst = g.plain_dst(),
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
  if (const auto tap = pixel_tap(x.shape(), weight.shape(), y.shape(), options)) {
    pixel_conv2d(x, weight, bias, options.groups, *tap, y);
    return;
  }
  guarded("conv2d", [&] {
    const auto key = conv_key(x.shape(), weight.shape(), options, bias.defined());
    auto plan = cache.get(key, [&] {
      return make_plan(conv_geometry(x.shape(), weight.shape(), y.shape(), options), bias.defined());
    });

    const memory src = reordered(plan->src_in, wrap(x, plan->src), plan->src_inner, Slot::src);
    const memory weights = reordered(plan->weights_in, wrap(weight, plan->weights), plan->weights_inner, Slot::weights);
    const memory dst_user = wrap(y, plan->dst);
    const memory dst = plan->dst_out ? workspace(plan->dst_inner, Slot::dst) : dst_user;
    Args args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, wrap(bias, f32_desc({weight.size(0)}, Tag::x)));
    plan->conv.run(std::move(args));
    if (plan->dst_out) plan->dst_out->run({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_user}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
