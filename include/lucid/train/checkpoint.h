// Training checkpoints: everything a run needs to continue exactly, in one safetensors file.
// Tensors: the model's state_dict under "model.", the optimizer's state under "optimizer.", the
// EMA weights under "ema.". __metadata__: "format" ("lucid.training_state"), "format_version",
// "model", and JSON texts "architecture", "epoch", "global_step", "optimizer", "schedule",
// "generators", "ema" (when there is one), "user". Written atomically (io::save_safetensors).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lucid/io/safetensors.h"
#include "lucid/random.h"
#include "lucid/train/ema.h"
#include "lucid/train/optimizer.h"

namespace lucid::train {

// What a checkpoint says besides its tensors.
struct TrainingState {
  std::string model;                  // the registry name, e.g. "resnext_50_32x4d"
  nlohmann::json architecture;        // facts to rebuild the model: {"num_classes": 10, ...}
  int64_t epoch = 0;                  // epochs completed
  int64_t global_step = 0;            // optimizer updates completed
  nlohmann::json schedule;            // Schedule::to_json(), or null
  std::map<std::string, GeneratorState> generators;  // by role: "data", "augment", "dropout", ...
  nlohmann::json user;                // anything else: metrics, command-line arguments
};

// Writes path atomically: a crash or SIGKILL at any moment leaves the previous file whole. Also
// removes temporaries beside path that earlier writers, since killed, left behind.
void save_checkpoint(const std::string& path, const TrainingState& state, const nn::Module& model,
                     const Optimizer& optimizer, const ModelEma* ema = nullptr);

class Checkpoint {
 public:
  // Maps the file and reads its metadata; IoError when it is not a lucid training state (a
  // weights file, say) or is malformed, UnsupportedError for a newer format version.
  static Checkpoint open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const TrainingState& state() const { return state_; }
  bool has_ema() const { return ema_.has_value(); }

  // Loads the model, the optimizer and (when given) the EMA from the file, after checking all
  // of them: ValueError when the file was written for another model (naming both), or naming
  // the first missing, unexpected or mismatched key (with both shapes). Nothing is changed
  // unless everything matches.
  void restore(const std::string& model_name, nn::Module& model, Optimizer& optimizer, ModelEma* ema = nullptr) const;

 private:
  Checkpoint(io::SafetensorsFile file, TrainingState state, nlohmann::json optimizer, std::optional<nlohmann::json> ema)
      : file_(std::move(file)), state_(std::move(state)), optimizer_(std::move(optimizer)), ema_(std::move(ema)) {}
  io::SafetensorsFile file_;
  TrainingState state_;
  nlohmann::json optimizer_;
  std::optional<nlohmann::json> ema_;
};

}  // namespace lucid::train
