#include "lucid/error.h"
#include "lucid/nn/layers.h"

namespace lucid::nn {

static thread_local bool skipping_init = false;
SkipInit::SkipInit() : outer_(skipping_init) { skipping_init = true; }
SkipInit::~SkipInit() { skipping_init = outer_; }
bool SkipInit::active() { return skipping_init; }

MaxPool2d::MaxPool2d(int64_t kernel, int64_t stride, int64_t padding)
    : options_{{kernel, kernel}, {stride, stride}, {padding, padding}} {}

Dropout::Dropout(float p, uint64_t seed) : p_(p), generator_(seed) {
  if (!(p >= 0.0f && p < 1.0f)) throw ValueError("Dropout", cat("probability ", p, " must be in [0, 1)"));
}

// The mask (0 or 1/(1-p)) multiplies through ops::mul, so the gradient is masked the same way.
Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0.0f) return x;
  Tensor mask = Tensor::empty(x.shape(), DType::F32, x.device());
  generator_.dropout_mask_(mask, p_);
  return ops::mul(x, mask);
}

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(std::move(m));
}

void Sequential::push_back(std::shared_ptr<Module> module) { add(std::to_string(size()), std::move(module)); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [_, child] : children()) y = (*child)(y);
  return y;
}

}  // namespace lucid::nn
