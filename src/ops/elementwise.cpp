// relu, and the elementwise sum and product of two tensors of one shape (no broadcasting: the
// residual add of a ResNet block and dropout's mask always see one shape).
#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

// Saves relu's output, not its input: y > 0 exactly where x > 0.
struct ReluBackward : autograd::Node {
  Tensor y;
  const char* name() const override { return "ReluBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = Tensor::empty(dy.shape(), DType::F32, dy.device());
    if (dx.numel() > 0) backend::kernels_for(dy.device()).relu_backward(y, dy, dx);
    return {dx};
  }
};

// The backward pass never writes a gradient it was given, so both inputs may share dy.
struct AddBackward : autograd::Node {
  const char* name() const override { return "AddBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override { return {dy, dy}; }
};

// da = dy * b, db = dy * a; each factor is saved only when the other input needs its gradient.
struct MulBackward : autograd::Node {
  Tensor a, b;
  const char* name() const override { return "MulBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    const backend::Kernels& kernels = backend::kernels_for(dy.device());
    std::vector<Tensor> grads(2);
    const Tensor* other[2] = {&b, &a};
    for (int i = 0; i < 2; ++i)
      if (inputs[i].requires_grad()) {
        grads[i] = Tensor::empty(dy.shape(), DType::F32, dy.device());
        if (dy.numel() > 0) kernels.mul(dy, *other[i], grads[i]);
      }
    return grads;
  }
};

void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_f32(op, "first input", a);
  detail::check_f32(op, "second input", b);
  detail::check_same_device(op, "second input", b, a);
  if (a.shape() != b.shape())
    throw ShapeError(op, cat("shapes differ: ", to_string(a.shape()), " vs ", to_string(b.shape())));
}

}  // namespace

Tensor relu(const Tensor& x) {
  detail::check_f32("relu", "input", x);
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (y.numel() > 0) backend::kernels_for(x.device()).relu(x, y);
  if (autograd::needs_grad({&x})) {
    auto node = std::make_shared<ReluBackward>();
    node->y = y.detach();
    autograd::record(y, std::move(node), {x});
  }
  return y;
}

Tensor add(const Tensor& a, const Tensor& b) {
  check_pair("add", a, b);
  Tensor y = Tensor::empty(a.shape(), DType::F32, a.device());
  if (y.numel() > 0) backend::kernels_for(a.device()).add(a, b, y);
  if (autograd::needs_grad({&a, &b})) autograd::record(y, std::make_shared<AddBackward>(), {a, b});
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_pair("mul", a, b);
  Tensor y = Tensor::empty(a.shape(), DType::F32, a.device());
  if (y.numel() > 0) backend::kernels_for(a.device()).mul(a, b, y);
  if (autograd::needs_grad({&a, &b})) {
    auto node = std::make_shared<MulBackward>();
    if (b.requires_grad()) node->a = a.detach();
    if (a.requires_grad()) node->b = b.detach();
    autograd::record(y, std::move(node), {a, b});
  }
  return y;
}

}  // namespace lucid::ops
