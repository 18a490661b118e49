// Learning-rate schedules as functions of the global step (0-based: the update about to run), so
// a resumed run needs only the schedule's parameters and the step. Each equals a torch.optim
// scheduler stepped once per update (tests/train/schedule_test.cpp checks each against torch).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "lucid/train/optimizer.h"

namespace lucid::train {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double lr(int64_t step) const = 0;
  // The momentum (SGD) or beta1 (AdamW) for the step, for schedules that cycle it.
  virtual std::optional<double> momentum(int64_t step) const { return std::nullopt; }
  // {"kind", parameters...}: what a checkpoint records; schedule_from_json reads it back.
  virtual nlohmann::json to_json() const = 0;
  // Sets the optimizer's lr (and momentum) for the step.
  void apply(Optimizer& optimizer, int64_t step) const;
};

// torch StepLR stepped once per epoch: lr * gamma^floor(epoch / step_size).
struct StepOptions {
  double lr = 0.1;
  int64_t step_size = 30;  // epochs
  double gamma = 0.1;
  int64_t steps_per_epoch = 1;
};
class StepSchedule : public Schedule {
 public:
  explicit StepSchedule(const StepOptions& options);
  double lr(int64_t step) const override;
  nlohmann::json to_json() const override;

 private:
  StepOptions options_;
};

// torchvision's reference recipe: SequentialLR of LinearLR(warmup_start_factor -> 1 over
// warmup_steps) and CosineAnnealingLR(T_max = total_steps - warmup_steps, eta_min = min_lr), with
// milestone warmup_steps. Holds min_lr from total_steps on (torch's cosine would rise again).
struct WarmupCosineOptions {
  double lr = 0.1;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_lr = 0.0;
  double warmup_start_factor = 0.01;  // in (0, 1], as LinearLR's start_factor
};
class WarmupCosineSchedule : public Schedule {
 public:
  explicit WarmupCosineSchedule(const WarmupCosineOptions& options);
  double lr(int64_t step) const override;
  nlohmann::json to_json() const override;

 private:
  WarmupCosineOptions options_;
};

// torch OneCycleLR with anneal_strategy "cos", three_phase False: from max_lr / div_factor up to
// max_lr over pct_start of the steps, then down to that / final_div_factor; momentum the other
// way between max_momentum and base_momentum. Valid for steps 0 .. total_steps, as torch.
struct OneCycleOptions {
  double max_lr = 0.1;
  int64_t total_steps = 1;
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
};
class OneCycleSchedule : public Schedule {
 public:
  explicit OneCycleSchedule(const OneCycleOptions& options);
  double lr(int64_t step) const override;
  std::optional<double> momentum(int64_t step) const override;
  nlohmann::json to_json() const override;

 private:
  // Phase of the step and how far through it (0..1), as torch's get_lr finds them.
  std::pair<int, double> phase(int64_t step) const;
  OneCycleOptions options_;
};

// The schedule to_json() described; ValueError naming an unknown kind or a missing field.
std::unique_ptr<Schedule> schedule_from_json(const nlohmann::json& json);

}  // namespace lucid::train
