// The reverse pass: nodes run once each, after every node that feeds them a gradient
// (consumer counts over the reachable graph), so each gets the sum of its output's gradients.
#include <unordered_map>

#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"

namespace lucid {
namespace {

using autograd::Node;

// a + b into a new tensor: either may be aliased elsewhere (add's backward hands one gradient
// to both inputs), so neither is written.
Tensor sum_of(const Tensor& a, const Tensor& b) {
  Tensor y = a.clone();
  backend::kernels_for(a.device()).axpby(1.0f, b, 1.0f, y);
  return y;
}

// Gradient accumulation: a leaf's grad is its own tensor, so later passes add into it in place.
void accumulate_leaf(const Tensor& leaf, const Tensor& g) {
  Tensor current = leaf.grad();
  Tensor& target = const_cast<Tensor&>(leaf);  // handles share the meta; grad is not data
  if (!current.defined())
    target.set_grad(g.clone());
  else
    backend::kernels_for(current.device()).axpby(1.0f, g, 1.0f, current);
}

void run_backward(const Tensor& root, const Tensor& seed) {
  if (!root.requires_grad())
    throw ValueError("backward", "the tensor does not require grad (no input of the ops that made it does)");
  if (seed.shape() != root.shape() || seed.dtype() != root.dtype())
    throw ShapeError("backward", cat("gradient ", to_string(seed.shape()), " ", dtype_name(seed.dtype()),
                                     " for an output ", to_string(root.shape()), " ", dtype_name(root.dtype())));
  std::shared_ptr<Node> head = root.grad_fn();
  if (!head) {
    accumulate_leaf(root, seed);
    return;
  }
  // Every reachable node, kept alive while edges are cleared, and how many nodes consume it.
  std::vector<std::shared_ptr<Node>> nodes{head};
  std::unordered_map<Node*, int> consumers{{head.get(), 0}};
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const Tensor& input : nodes[i]->inputs)
      if (auto fn = input.defined() ? input.grad_fn() : nullptr) {
        auto [it, fresh] = consumers.try_emplace(fn.get(), 0);
        ++it->second;
        if (fresh) nodes.push_back(fn);
      }

  std::unordered_map<Node*, Tensor> pending{{head.get(), seed}};
  std::vector<Node*> ready{head.get()};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    Tensor grad = std::move(pending.at(node));
    pending.erase(node);
    std::vector<Tensor> grads = node->backward(grad);
    if (grads.size() != node->inputs.size())
      throw Error("backward", cat(node->name(), " returned ", grads.size(), " gradients for ", node->inputs.size(),
                                  " inputs"));
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& input = node->inputs[i];
      if (!input.defined() || !input.requires_grad()) continue;
      const bool has_grad = grads[i].defined();
      if (has_grad && grads[i].shape() != input.shape())
        throw ShapeError("backward", cat(node->name(), " gave a ", to_string(grads[i].shape()),
                                         " gradient for input ", i, " of shape ", to_string(input.shape())));
      std::shared_ptr<Node> fn = input.grad_fn();
      if (!fn) {
        if (has_grad) accumulate_leaf(input, grads[i]);
        continue;
      }
      if (has_grad) {
        auto [it, fresh] = pending.try_emplace(fn.get(), grads[i]);
        if (!fresh) it->second = sum_of(it->second, grads[i]);
      }
      // A node runs once all its consumers have run; with no gradient at all it is skipped.
      if (--consumers.at(fn.get()) == 0 && pending.count(fn.get())) ready.push_back(fn.get());
    }
    node->inputs.clear();  // the graph is spent: activations go as soon as nothing needs them
  }
}

}  // namespace

void Tensor::backward() const {
  if (numel() != 1)
    throw ShapeError("backward", cat("backward() without a gradient needs a one-element tensor, got ",
                                     to_string(shape()), "; pass the output's gradient"));
  Tensor one = Tensor::empty(shape(), dtype(), device());
  if (dtype() == DType::F64)
    one.data<double>()[0] = 1.0;
  else
    one.data<float>()[0] = 1.0f;
  run_backward(*this, one);
}

void Tensor::backward(const Tensor& grad_output) const { run_backward(*this, grad_output); }

}  // namespace lucid
