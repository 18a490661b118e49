// What every optimizer shares: the parameter list, the weight-decay rule, gradients in and out,
// and the state (per-parameter tensors plus JSON) that checkpoints carry.
#include "lucid/train/optimizer.h"

#include <cmath>
#include <map>

#include "lucid/autograd.h"
#include "lucid/error.h"
#include "train/json_field.h"

namespace lucid::train {

Optimizer::Optimizer(const nn::NamedTensors& parameters, double lr, double weight_decay, bool exclude_norm_and_bias)
    : lr_(lr), weight_decay_(weight_decay), exclude_norm_and_bias_(exclude_norm_and_bias) {
  for (const auto& [key, param] : parameters)
    if (param.requires_grad()) params_.emplace_back(key, param);
  state_.resize(params_.size());
}

double Optimizer::weight_decay(size_t index) const {
  return exclude_norm_and_bias_ && params_.at(index).second.dim() <= 1 ? 0.0 : weight_decay_;
}

void Optimizer::check_non_negative(const char* what, double value) const {
  if (!(std::isfinite(value) && value >= 0)) throw ValueError(name(), cat(what, " must be finite and >= 0, got ", value));
}

void Optimizer::set_lr(double lr) {
  check_non_negative("lr", lr);
  lr_ = lr;
}

void Optimizer::step() {
  autograd::NoGradGuard no_grad;
  // Every gradient is checked before any parameter moves: a failed step changes nothing.
  for (const auto& [key, param] : params_) {
    Tensor grad = param.grad();
    if (grad.defined() && (grad.dtype() != param.dtype() || grad.device() != param.device()))
      throw ValueError(name(), cat("gradient of '", key, "' is ", dtype_name(grad.dtype()), " on ",
                                   to_string(grad.device()), ", the parameter ", dtype_name(param.dtype()), " on ",
                                   to_string(param.device())));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor grad = params_[i].second.grad();
    if (grad.defined()) update(params_[i].second, grad, state_[i], weight_decay(i));
  }
  ++steps_;
}

void Optimizer::zero_grad() {
  for (auto& [key, param] : params_) param.set_grad(Tensor());
}

nn::NamedTensors Optimizer::state_tensors() const {
  std::vector<Slot> names = slots();
  nn::NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i)
    for (size_t s = 0; s < state_[i].size(); ++s) out.emplace_back(names[s].name + "." + params_[i].first, state_[i][s]);
  return out;
}

nlohmann::json Optimizer::state_json() const {
  nlohmann::json hyper = hyper_json();
  hyper["lr"] = lr_;
  hyper["weight_decay"] = weight_decay_;
  hyper["exclude_norm_and_bias"] = exclude_norm_and_bias_;
  return {{"type", name()}, {"hyper", hyper}, {"steps", steps_}, {"parameters", params_.size()}};
}

std::vector<std::vector<std::string>> Optimizer::checked_state_keys(const io::TensorSource& tensors,
                                                                    const nlohmann::json& state) const {
  constexpr const char* kWhat = "optimizer state";
  auto type = json_field<std::string>(name(), kWhat, state, "type");
  if (type != name()) throw ValueError(name(), cat("the state is of a '", type, "' optimizer, not '", name(), "'"));
  auto count = json_field<int64_t>(name(), kWhat, state, "parameters");
  if (count != static_cast<int64_t>(params_.size()))
    throw ValueError(name(), cat("the state is for ", count, " parameters, this optimizer has ", params_.size(),
                                 " (another model, or other parameters frozen)"));
  json_field<int64_t>(name(), kWhat, state, "steps");
  auto hyper = json_field<nlohmann::json>(name(), kWhat, state, "hyper");
  check_non_negative("lr", json_field<double>(name(), kWhat, hyper, "lr"));
  check_non_negative("weight_decay", json_field<double>(name(), kWhat, hyper, "weight_decay"));
  json_field<bool>(name(), kWhat, hyper, "exclude_norm_and_bias");
  check_hyper(hyper);

  std::vector<Slot> names = slots();
  std::map<std::string, size_t> param_index, slot_index;
  for (size_t i = 0; i < params_.size(); ++i) param_index[params_[i].first] = i;
  for (size_t s = 0; s < names.size(); ++s) slot_index[names[s].name] = s;
  std::vector<std::vector<std::string>> keys(params_.size(), std::vector<std::string>(names.size()));
  for (const std::string& key : tensors.keys()) {
    size_t dot = key.find('.');
    auto slot = dot == std::string::npos ? slot_index.end() : slot_index.find(key.substr(0, dot));
    auto param = slot == slot_index.end() ? param_index.end() : param_index.find(key.substr(dot + 1));
    if (param == param_index.end()) throw ValueError(name(), cat("unexpected state tensor '", key, "'"));
    const Tensor& p = params_[param->second].second;
    Shape want = names[slot->second].counter ? Shape{} : p.shape();
    DType want_dtype = names[slot->second].counter ? DType::I64 : p.dtype();
    if (tensors.shape(key) != want || tensors.dtype(key) != want_dtype)
      throw ValueError(name(), cat("state tensor '", key, "' is ", to_string(tensors.shape(key)), " ",
                                   dtype_name(tensors.dtype(key)), ", the optimizer needs ", to_string(want), " ",
                                   dtype_name(want_dtype)));
    keys[param->second][slot->second] = key;
  }
  // A parameter has all of its slots or none (not yet updated).
  for (size_t i = 0; i < params_.size(); ++i) {
    size_t present = 0;
    for (const auto& key : keys[i]) present += !key.empty();
    for (size_t s = 0; present > 0 && s < names.size(); ++s)
      if (keys[i][s].empty())
        throw ValueError(name(), cat("missing state tensor '", names[s].name, ".", params_[i].first, "'"));
  }
  return keys;
}

void Optimizer::check_state(const io::TensorSource& tensors, const nlohmann::json& state) const {
  checked_state_keys(tensors, state);
}

void Optimizer::load_state(const io::TensorSource& tensors, const nlohmann::json& state) {
  std::vector<std::vector<std::string>> keys = checked_state_keys(tensors, state);
  const nlohmann::json& hyper = state["hyper"];
  set_hyper(hyper);
  lr_ = hyper["lr"];
  weight_decay_ = hyper["weight_decay"];
  exclude_norm_and_bias_ = hyper["exclude_norm_and_bias"];
  steps_ = state["steps"];
  std::vector<Slot> names = slots();
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    state_[i].clear();
    for (size_t s = 0; s < names.size() && !keys[i][s].empty(); ++s) {
      Tensor t = names[s].counter ? Tensor::zeros({}, DType::I64) : Tensor::empty(p.shape(), p.dtype(), p.device());
      tensors.read_into(keys[i][s], t);
      state_[i].push_back(t);
    }
  }
}

}  // namespace lucid::train
