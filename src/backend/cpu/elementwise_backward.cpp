// relu's backward and the elementwise product (dropout's mask, mul's backward).
#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> mul_cache(64);

}  // namespace

// One compare-and-select pass, bound by memory: a plain loop is as fast as oneDNN's eltwise
// backward, which would need a forward primitive built as its hint.
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  const float* yp = y.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
  const int64_t n = y.numel();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dp[i] = yp[i] > 0.0f ? gp[i] : 0.0f;
}

// As add: every tensor one flat run of numel floats.
void mul(const Tensor& a, const Tensor& b, Tensor& y) {
  guarded("mul", [&] {
    const auto flat = f32_desc({a.numel()}, Tag::x);
    auto step = mul_cache.get({a.numel()}, [&] {
      dnnl::binary::desc desc(dnnl::algorithm::binary_mul, flat, flat, flat);
      dnnl::binary::primitive_desc pd(desc, user_scratchpad(), engine());
      return make_step<dnnl::binary>(pd);
    });
    step->run({{DNNL_ARG_SRC_0, wrap(a, flat)}, {DNNL_ARG_SRC_1, wrap(b, flat)}, {DNNL_ARG_DST, wrap(y, flat)}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
