#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/primitive_cache.h"

namespace lucid::backend::cpu {
namespace {

PrimitiveCache<Step> max_cache(64);
PrimitiveCache<Step> avg_cache(64);

Step make_pool(dnnl::algorithm alg, const memory::desc& src, const memory::desc& dst, const Dims& kernel,
               const Dims& stride, const Dims& padding) {
  // Symmetric padding with torch's floor-mode output size: oneDNN derives the same size from it.
  dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src, dst, stride, kernel, padding,
                                   padding);
  dnnl::pooling_forward::primitive_desc pd(desc, user_scratchpad(), engine());
  return make_step<dnnl::pooling_forward>(pd);
}

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
    const Shape& ys = y.shape();
    const auto src = f32_desc({xs[0], xs[1], xs[2], xs[3]}, Tag::nchw);
    const auto dst = f32_desc({ys[0], ys[1], ys[2], ys[3]}, Tag::nchw);
    const CacheKey key{xs[0], xs[1], xs[2], xs[3], options.kernel[0], options.kernel[1], options.stride[0],
                       options.stride[1], options.padding[0], options.padding[1]};
    auto step = max_cache.get(key, [&] {
      return make_pool(dnnl::algorithm::pooling_max, src, dst, {options.kernel[0], options.kernel[1]},
                       {options.stride[0], options.stride[1]}, {options.padding[0], options.padding[1]});
    });
    step->run({{DNNL_ARG_SRC, wrap(x, src)}, {DNNL_ARG_DST, wrap(y, dst)}});
    stream().wait();
  });
}

// When the output size divides the input size the windows are uniform and disjoint: plain
// average pooling with kernel = stride = H/OH. Global pooling (H,W -> 1,1) is that case.
void adaptive_avg_pool2d(const Tensor& x, Tensor& y) {
  const Shape& xs = x.shape();
  const Shape& ys = y.shape();
  if (xs[2] % ys[2] != 0 || xs[3] % ys[3] != 0) return adaptive_avg_pool_loop(x, y);
  guarded("adaptive_avg_pool2d", [&] {
    const auto src = f32_desc({xs[0], xs[1], xs[2], xs[3]}, Tag::nchw);
    const auto dst = f32_desc({ys[0], ys[1], ys[2], ys[3]}, Tag::nchw);
    const Dims window{xs[2] / ys[2], xs[3] / ys[3]};
    auto step = avg_cache.get({xs[0], xs[1], xs[2], xs[3], ys[2], ys[3]}, [&] {
      return make_pool(dnnl::algorithm::pooling_avg_exclude_padding, src, dst, window, window, {0, 0});
    });
    step->run({{DNNL_ARG_SRC, wrap(x, src)}, {DNNL_ARG_DST, wrap(y, dst)}});
    stream().wait();
  });
}

}  // namespace lucid::backend::cpu
