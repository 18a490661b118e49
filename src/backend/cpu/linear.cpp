#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> cache(64);

}  // namespace

// x (N,in) nc, weight (out,in) oi: the layouts torch uses, served by oneDNN's gemm.
void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  guarded("linear", [&] {
    const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
    const auto src = f32_desc({n, in}, Tag::nc), weights = f32_desc({out, in}, Tag::oi);
    const auto dst = f32_desc({n, out}, Tag::nc), bias_desc = f32_desc({out}, Tag::x);
    auto step = cache.get({n, in, out, bias.defined()}, [&] {
      using dnnl::inner_product_forward;
      const auto prop = dnnl::prop_kind::forward_inference;
      const auto desc = bias.defined() ? inner_product_forward::desc(prop, src, weights, bias_desc, dst)
                                       : inner_product_forward::desc(prop, src, weights, dst);
      inner_product_forward::primitive_desc pd(desc, user_scratchpad(), engine());
      return make_step<inner_product_forward>(pd);
    });
    Args args{{DNNL_ARG_SRC, wrap(x, src)}, {DNNL_ARG_WEIGHTS, wrap(weight, weights)}, {DNNL_ARG_DST, wrap(y, dst)}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, wrap(bias, bias_desc));
    step->run(std::move(args));
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
