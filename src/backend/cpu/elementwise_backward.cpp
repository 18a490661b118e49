// relu's backward and the elementwise product (dropout's mask, mul's backward).
#include <algorithm>

#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> mul_cache(64);

LUCID_SIMD_CLONES void relu_backward_run(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace

// One compare-and-select pass over runs of 16K floats: a plain loop, as fast as oneDNN's jit
// eltwise backward (which would need a forward primitive built as its hint).
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  constexpr int64_t kRun = 1 << 14;
  const float* yp = y.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
  const int64_t n = y.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i += kRun) relu_backward_run(yp + i, gp + i, dp + i, std::min(kRun, n - i));
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
