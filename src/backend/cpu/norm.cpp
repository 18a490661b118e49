#include <bit>

#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> cache(64);

}  // namespace

// x (N,C,...) is viewed as (N,C,inner,1); inference mode uses the running statistics.
void batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                const Tensor& bias, float eps, Tensor& y) {
  guarded("batch_norm", [&] {
    const int64_t n = x.size(0), c = x.size(1), inner = x.numel() / (n * c);
    const auto data = f32_desc({n, c, inner, 1}, Tag::nchw);
    const auto channel = f32_desc({c}, Tag::x);
    const CacheKey key{n, c, inner, weight.defined(), bias.defined(), std::bit_cast<int32_t>(eps)};
    auto step = cache.get(key, [&] {
      using dnnl::normalization_flags;
      auto flags = normalization_flags::use_global_stats;
      if (weight.defined()) flags |= normalization_flags::use_scale;
      if (bias.defined()) flags |= normalization_flags::use_shift;
      dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data, eps, flags);
      dnnl::batch_normalization_forward::primitive_desc pd(desc, user_scratchpad(), engine());
      return make_step<dnnl::batch_normalization_forward>(pd);
    });
    Args args{{DNNL_ARG_SRC, wrap(x, data)},
              {DNNL_ARG_DST, wrap(y, data)},
              {DNNL_ARG_MEAN, wrap(mean, channel)},
              {DNNL_ARG_VARIANCE, wrap(var, channel)}};
    if (weight.defined()) args.emplace(DNNL_ARG_SCALE, wrap(weight, channel));
    if (bias.defined()) args.emplace(DNNL_ARG_SHIFT, wrap(bias, channel));
    step->run(std::move(args));
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
