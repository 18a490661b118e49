// Tensor's autograd members: the meta (requires_grad, grad, grad_fn) is created on first use,
// so tensors that never meet autograd (inference, weights loaded for the engine) carry none.
#include "autograd/record.h"
#include "lucid/autograd.h"
#include "lucid/error.h"

namespace lucid {
namespace {

autograd::Meta& meta_of(std::shared_ptr<autograd::Meta>& slot) {
  if (!slot) slot = std::make_shared<autograd::Meta>();
  return *slot;
}

}  // namespace

bool Tensor::requires_grad() const {
  const auto& m = impl("requires_grad").autograd;
  return m && (m->requires_grad || m->grad_fn);
}

Tensor& Tensor::set_requires_grad(bool on) {
  impl("set_requires_grad");
  auto& m = impl_->autograd;
  if (m && m->grad_fn)
    throw ValueError("autograd", "set_requires_grad applies to leaves; this tensor was computed by " +
                                     std::string(m->grad_fn->name()) + " (detach() it first)");
  if (on && dtype() != DType::F32 && dtype() != DType::F64)
    throw ValueError("autograd", cat("only floating-point tensors can require grad, not ", dtype_name(dtype())));
  if (on || m) meta_of(impl_->autograd).requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& m = impl("grad").autograd;
  return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& grad) {
  impl("set_grad");
  if (grad.defined() && grad.shape() != shape())
    throw ShapeError("autograd", cat("gradient of shape ", to_string(grad.shape()), " for a tensor of shape ",
                                     to_string(shape())));
  if (grad.defined() || impl_->autograd) meta_of(impl_->autograd).grad = grad;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  const auto& m = impl("grad_fn").autograd;
  return m ? m->grad_fn : nullptr;
}

void Tensor::set_grad_fn(std::shared_ptr<autograd::Node> node) {
  impl("set_grad_fn");
  meta_of(impl_->autograd).grad_fn = std::move(node);
}

Tensor Tensor::detach() const {
  const Impl& i = impl("detach");
  return Tensor(std::make_shared<Impl>(Impl{i.storage, i.shape, i.dtype, nullptr}));
}

namespace autograd::detail {
namespace {

struct ReshapeBackward : Node {
  Shape input_shape;
  const char* name() const override { return "ReshapeBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override { return {dy.detach().reshape(input_shape)}; }
};

}  // namespace

void record_reshape(const Tensor& source, Tensor& view) {
  if (!needs_grad({&source})) return;
  auto node = std::make_shared<ReshapeBackward>();
  node->input_shape = source.shape();
  record(view, std::move(node), {source});
}

}  // namespace autograd::detail
}  // namespace lucid
