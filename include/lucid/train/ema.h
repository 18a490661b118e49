// Exponential moving average of a model's weights (timm's ModelEmaV2 update rule for parameters):
// after each optimizer step, ema = decay * ema + (1 - decay) * param; buffers (BN statistics,
// counters) are copied as they are. Evaluate with it by loading state_dict() into a second model.
#pragma once

#include <nlohmann/json.hpp>

#include "lucid/io/tensor_source.h"
#include "lucid/nn/module.h"

namespace lucid::train {

class ModelEma {
 public:
  // Starts as a copy of the model's state_dict. decay in [0, 1].
  ModelEma(const nn::Module& model, double decay);
  // One update from the model's current weights (same state_dict keys and shapes as at construction).
  void update(const nn::Module& model);

  double decay() const { return decay_; }
  // The averaged state, keys and order as model.state_dict().
  const nn::NamedTensors& state_dict() const { return state_; }

  // For checkpoints: the decay; load_state checks every key and shape before it copies.
  nlohmann::json state_json() const { return {{"decay", decay_}}; }
  void load_state(const io::TensorSource& tensors, const nlohmann::json& state);
  // Throws what load_state would, changing nothing.
  void check_state(const io::TensorSource& tensors, const nlohmann::json& state) const;

 private:
  double decay_;
  nn::NamedTensors state_;
  std::vector<bool> averaged_;  // per entry: a parameter (averaged) or a buffer (copied)
};

}  // namespace lucid::train
