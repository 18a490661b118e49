#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> cache(64);

}  // namespace

// Any rank: viewed as (outer, axis, inner) with softmax over the middle axis.
void softmax(const Tensor& x, int64_t axis, Tensor& y) {
  guarded("softmax", [&] {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
    for (int64_t d = axis + 1; d < x.dim(); ++d) inner *= x.size(d);
    const int64_t len = x.size(axis);
    const auto data = f32_desc({outer, len, inner}, Tag::abc);
    auto step = cache.get({outer, len, inner}, [&] {
      dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, data, 1);
      dnnl::softmax_forward::primitive_desc pd(desc, user_scratchpad(), engine());
      return make_step<dnnl::softmax_forward>(pd);
    });
    step->run({{DNNL_ARG_SRC, wrap(x, data)}, {DNNL_ARG_DST, wrap(y, data)}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
