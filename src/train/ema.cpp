#include "lucid/train/ema.h"

#include <set>

#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "train/json_field.h"

namespace lucid::train {
namespace {

void check_decay(double decay) {
  if (!(decay >= 0 && decay <= 1)) throw ValueError("ema", cat("decay must be in [0, 1], got ", decay));
}

}  // namespace

ModelEma::ModelEma(const nn::Module& model, double decay) : decay_(decay) {
  check_decay(decay);
  std::set<std::string> parameters;
  for (const auto& [key, param] : model.named_parameters()) parameters.insert(key);
  for (const auto& [key, tensor] : model.state_dict()) {
    state_.emplace_back(key, tensor.clone());
    averaged_.push_back(parameters.count(key) > 0);
  }
}

void ModelEma::update(const nn::Module& model) {
  autograd::NoGradGuard no_grad;
  nn::NamedTensors current = model.state_dict();
  if (current.size() != state_.size())
    throw ValueError("ema", cat("the model has ", current.size(), " state entries, the average ", state_.size()));
  for (size_t i = 0; i < state_.size(); ++i) {
    auto& [key, ema] = state_[i];
    const auto& [model_key, value] = current[i];
    if (model_key != key || value.shape() != ema.shape() || value.dtype() != ema.dtype())
      throw ValueError("ema", cat("model entry '", model_key, "' ", to_string(value.shape()), " does not match '",
                                  key, "' ", to_string(ema.shape()), " of the average"));
  }
  // timm computes ema * decay + (1 - decay) * param in the tensor's type, decay cast on its own.
  const float keep = static_cast<float>(decay_), take = static_cast<float>(1.0 - decay_);
  for (size_t i = 0; i < state_.size(); ++i) {
    Tensor& ema = state_[i].second;
    if (averaged_[i])
      backend::kernels_for(ema.device()).axpby(take, current[i].second, keep, ema);
    else
      ema.copy_from(current[i].second);
  }
}

void ModelEma::check_state(const io::TensorSource& tensors, const nlohmann::json& state) const {
  check_decay(json_field<double>("ema", "EMA state", state, "decay"));
  std::vector<std::string> keys = tensors.keys();
  std::set<std::string> available(keys.begin(), keys.end()), known;
  for (const auto& [key, tensor] : state_) {
    known.insert(key);
    if (!available.count(key)) throw ValueError("ema", cat("missing key '", key, "'"));
    if (tensors.shape(key) != tensor.shape() || tensors.dtype(key) != tensor.dtype())
      throw ValueError("ema", cat("mismatch for ", key, ": source has ", to_string(tensors.shape(key)), " ",
                                  dtype_name(tensors.dtype(key)), ", the average has ", to_string(tensor.shape()), " ",
                                  dtype_name(tensor.dtype())));
  }
  for (const auto& key : keys)
    if (!known.count(key)) throw ValueError("ema", cat("unexpected key '", key, "'"));
}

void ModelEma::load_state(const io::TensorSource& tensors, const nlohmann::json& state) {
  check_state(tensors, state);
  decay_ = state["decay"];
  for (auto& [key, tensor] : state_) tensors.read_into(key, tensor);
}

}  // namespace lucid::train
