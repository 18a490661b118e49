// Module: a node in a tree of named children, owning named parameters and buffers. Each child,
// parameter and buffer is named once, where it is added, so state_dict keys are the dotted
// paths torchvision uses ("layer1.0.conv2.weight") without a mapping table.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lucid/io/tensor_source.h"
#include "lucid/tensor.h"

namespace lucid::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What a non-strict load_state_dict did not load, by key.
struct LoadReport {
  std::vector<std::string> missing;     // in the model, not in the source
  std::vector<std::string> unexpected;  // in the source, not in the model
  std::vector<std::string> mismatched;  // in both, other shapes: "key: source AxB, model CxD"
  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
};

class Module {
 public:
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  // Runs forward; records the call when a trace is active (see trace.h).
  Tensor operator()(const Tensor& x);
  virtual std::string type_name() const = 0;
  // Multiply-accumulates of one call that produced `output` (0 for layers that do none).
  virtual int64_t macs(const Shape& output) const { return 0; }

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  // This module ("" prefix) and every descendant, depth first, with dotted names.
  std::vector<std::pair<std::string, Module*>> named_modules() const;
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;

  // Parameters and buffers, module by module in the order they were added (torch's order).
  NamedTensors state_dict() const;
  // Copies every tensor of the source into the model. Strict (the default) throws ValueError on
  // the first missing, unexpected or shape-mismatched key, naming it (and both shapes); otherwise
  // loads what matches and reports the rest. Like torch, a missing BatchNorm
  // num_batches_tracked is not an error.
  LoadReport load_state_dict(const io::TensorSource& source, bool strict = true);
  // What load_state_dict(source, false) would not load, without loading anything.
  LoadReport check_state_dict(const io::TensorSource& source) const;
  // Throws the ValueError a strict load would for this report (nothing if it is complete).
  static void throw_if_incomplete(const LoadReport& report, const std::string& where);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

 protected:
  Module() = default;

  template <class M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> child) {
    add_child(name, child);
    return child;
  }
  // Swaps the child of that name for another (a new classifier head, say).
  void replace(const std::string& name, std::shared_ptr<Module> child);
  Tensor add_parameter(const std::string& name, Tensor tensor);
  Tensor add_buffer(const std::string& name, Tensor tensor);

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> child);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool parameters, bool buffers, NamedTensors& out) const;

  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  NamedTensors parameters_;
  NamedTensors buffers_;
  bool training_ = true;
};

}  // namespace lucid::nn
