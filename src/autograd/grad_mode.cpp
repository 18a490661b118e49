#include "lucid/autograd.h"

namespace lucid::autograd {
namespace {
thread_local bool enabled = true;
}  // namespace

bool grad_enabled() { return enabled; }

NoGradGuard::NoGradGuard() : previous_(enabled) { enabled = false; }
NoGradGuard::~NoGradGuard() { enabled = previous_; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

void record(Tensor& output, std::shared_ptr<Node> node, std::vector<Tensor> inputs) {
  node->inputs = std::move(inputs);
  output.set_grad_fn(std::move(node));
}

}  // namespace lucid::autograd
