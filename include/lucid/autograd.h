// Reverse-mode automatic differentiation. An op run in grad mode on inputs that require grad
// gives its output a Node (grad_fn) that holds the inputs and what the backward needs;
// Tensor::backward walks these nodes from the loss in reverse topological order, summing the
// gradients that reach each tensor and accumulating those of leaves (parameters) into grad().
#pragma once

#include <memory>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::autograd {

class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // Gradients for each of inputs (same order); an entry may be undefined (input needs none).
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;

  // The tensors this node differentiates with respect to: the graph's edges. Saved values the
  // backward reads are kept by the node itself, detached (an output saved with its own grad_fn
  // would keep itself alive).
  std::vector<Tensor> inputs;
};

// Per-thread switch: while off, ops record nothing (inference, optimizer updates, evaluation).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Whether an op on these inputs must record a node: grad mode on and any defined input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// Attaches node to output: node->inputs = inputs; output.grad_fn = node. Used by op front ends.
void record(Tensor& output, std::shared_ptr<Node> node, std::vector<Tensor> inputs);

// What the autograd meta of a tensor holds (private to tensor.cpp and src/autograd/).
struct Meta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

}  // namespace lucid::autograd
