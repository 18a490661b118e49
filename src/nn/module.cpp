#include "lucid/nn/module.h"

#include <map>
#include <set>

#include "lucid/error.h"
#include "lucid/nn/trace.h"

namespace lucid::nn {

Tensor Module::operator()(const Tensor& x) {
  Tensor y = forward(x);
  if (Trace* trace = Trace::active()) trace->record(this, y.shape());
  return y;
}

void Module::check_new_name(const std::string& name) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw ValueError("module", cat("invalid name '", name, "': names are non-empty and dot-free"));
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list) if (n == name) return true;
    return false;
  };
  if (taken(children_) || taken(parameters_) || taken(buffers_))
    throw ValueError("module", cat("name '", name, "' is already used in this ", type_name()));
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  check_new_name(name);
  child->train(training_);
  children_.emplace_back(name, std::move(child));
}

void Module::replace(const std::string& name, std::shared_ptr<Module> child) {
  for (auto& [n, c] : children_)
    if (n == name) {
      child->train(training_);
      c = std::move(child);
      return;
    }
  throw ValueError("module", cat(type_name(), " has no child named '", name, "'"));
}

Tensor Module::add_parameter(const std::string& name, Tensor tensor) {
  check_new_name(name);
  tensor.set_requires_grad();  // as in torch: parameters are what training differentiates
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::add_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name);
  buffers_.emplace_back(name, tensor);
  return tensor;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module*>> out{{"", const_cast<Module*>(this)}};
  for (const auto& [name, child] : children_)
    for (auto& [sub, module] : child->named_modules()) out.emplace_back(sub.empty() ? name : name + "." + sub, module);
  return out;
}

void Module::collect(const std::string& prefix, bool parameters, bool buffers, NamedTensors& out) const {
  if (parameters) for (const auto& [n, t] : parameters_) out.emplace_back(prefix + n, t);
  if (buffers) for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", parameters, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [_, t] : named_parameters()) n += t.numel();
  return n;
}

static bool is_step_counter(const std::string& key) {
  const std::string suffix = "num_batches_tracked";
  return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LoadReport Module::check_state_dict(const io::TensorSource& source) const {
  LoadReport report;
  std::vector<std::string> source_keys = source.keys();
  std::set<std::string> available(source_keys.begin(), source_keys.end()), known;
  for (const auto& [key, tensor] : state_dict()) {
    known.insert(key);
    if (!available.count(key)) {
      if (!is_step_counter(key)) report.missing.push_back(key);
    } else if (source.shape(key) != tensor.shape()) {
      report.mismatched.push_back(cat(key, ": source has ", to_string(source.shape(key)), ", model has ",
                                      to_string(tensor.shape())));
    }
  }
  for (const auto& key : source_keys)
    if (!known.count(key)) report.unexpected.push_back(key);
  return report;
}

void Module::throw_if_incomplete(const LoadReport& r, const std::string& where) {
  if (!r.mismatched.empty()) throw ValueError(where, cat("shape mismatch for ", r.mismatched[0]));
  if (!r.missing.empty())
    throw ValueError(where, cat("missing key '", r.missing[0], "' (", r.missing.size(), " missing in all)"));
  if (!r.unexpected.empty())
    throw ValueError(where, cat("unexpected key '", r.unexpected[0], "' (", r.unexpected.size(), " unexpected in all)"));
}

LoadReport Module::load_state_dict(const io::TensorSource& source, bool strict) {
  // Check everything before copying anything: a failed strict load leaves the model as it was.
  LoadReport report = check_state_dict(source);
  if (strict) throw_if_incomplete(report, "load_state_dict");
  std::vector<std::string> keys = source.keys();
  std::set<std::string> available(keys.begin(), keys.end());
  for (auto& [key, tensor] : state_dict())
    if (available.count(key) && source.shape(key) == tensor.shape()) source.read_into(key, tensor);
  return report;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

}  // namespace lucid::nn
