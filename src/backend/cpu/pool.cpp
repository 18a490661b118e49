#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

// On plain nchw oneDNN 2.6 pools with a generic kernel (simple_nchw, ~15x slower than jit);
// reordering to the blocked layout and back costs far less than that difference.
struct PoolPlan {
  memory::desc src, dst;              // plain nchw
  memory::desc src_inner, dst_inner;  // blocked
  Step src_in, pool, dst_out;
};

PoolPlan make_plan(dnnl::algorithm alg, const Shape& xs, const Shape& ys, const Dims& kernel, const Dims& stride,
                   const Dims& padding) {
  const Dims src_dims{xs[0], xs[1], xs[2], xs[3]}, dst_dims{ys[0], ys[1], ys[2], ys[3]};
  const auto src = f32_desc(src_dims, Tag::nchw), dst = f32_desc(dst_dims, Tag::nchw);
  const auto src_inner = f32_desc(src_dims, blocked_nchw()), dst_inner = f32_desc(dst_dims, blocked_nchw());
  // Symmetric padding with torch's floor-mode output size: oneDNN derives the same size from it.
  dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_inner, dst_inner, stride, kernel,
                                   padding, padding);
  dnnl::pooling_forward::primitive_desc pd(desc, user_scratchpad(), engine());
  return PoolPlan{src, dst, src_inner, dst_inner, *make_reorder(src, src_inner), make_step<dnnl::pooling_forward>(pd),
                  *make_reorder(dst_inner, dst)};
}

void run_plan(const PoolPlan& plan, const Tensor& x, Tensor& y) {
  const memory src = reordered(plan.src_in, wrap(x, plan.src), plan.src_inner, Slot::src);
  const memory dst = workspace(plan.dst_inner, Slot::dst);
  plan.pool.run({{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  plan.dst_out.run({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, wrap(y, plan.dst)}});
  stream().wait();
}

PrimitiveCache<PoolPlan> max_cache(64);
PrimitiveCache<PoolPlan> avg_cache(64);

// torch's adaptive windows, [floor(i*H/OH), ceil((i+1)*H/OH)), overlap and vary in size when
// H % OH != 0, which no oneDNN pooling expresses; this loop serves those (rare) cases.
void adaptive_avg_pool_loop(const Tensor& x, Tensor& y) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = y.size(2), ow = y.size(3);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
#pragma omp parallel for
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        float sum = 0.0f;
        for (int64_t hi = h0; hi < h1; ++hi)
          for (int64_t wi = w0; wi < w1; ++wi) sum += xp[(p * h + hi) * w + wi];
        yp[(p * oh + i) * ow + j] = sum / float((h1 - h0) * (w1 - w0));
      }
    }
}

}  // namespace

void max_pool2d(const Tensor& x, const ops::Pool2dOptions& options, Tensor& y) {
  guarded("max_pool2d", [&] {
    const Shape& xs = x.shape();
    const CacheKey key{xs[0], xs[1], xs[2], xs[3], options.kernel[0], options.kernel[1], options.stride[0],
                       options.stride[1], options.padding[0], options.padding[1]};
    auto plan = max_cache.get(key, [&] {
      return make_plan(dnnl::algorithm::pooling_max, xs, y.shape(), {options.kernel[0], options.kernel[1]},
                       {options.stride[0], options.stride[1]}, {options.padding[0], options.padding[1]});
    });
    run_plan(*plan, x, y);
  });
}

// When the output size divides the input size the windows are uniform and disjoint: plain
// average pooling with kernel = stride = H/OH. Global pooling (H,W -> 1,1) is that case.
void adaptive_avg_pool2d(const Tensor& x, Tensor& y) {
  const Shape& xs = x.shape();
  const Shape& ys = y.shape();
  if (xs[2] % ys[2] != 0 || xs[3] % ys[3] != 0) return adaptive_avg_pool_loop(x, y);
  guarded("adaptive_avg_pool2d", [&] {
    const Dims window{xs[2] / ys[2], xs[3] / ys[3]};
    auto plan = avg_cache.get({xs[0], xs[1], xs[2], xs[3], ys[2], ys[3]}, [&] {
      return make_plan(dnnl::algorithm::pooling_avg_exclude_padding, xs, ys, window, window, {0, 0});
    });
    run_plan(*plan, x, y);
  });
}

}  // namespace lucid::backend::cpu
