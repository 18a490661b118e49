#include "lucid/train/schedule.h"

#include <cmath>

#include "lucid/error.h"
#include "train/json_field.h"

namespace lucid::train {
namespace {

constexpr const char* kWhat = "schedule";

void check_step(const char* op, int64_t step) {
  if (step < 0) throw ValueError(op, cat("step must be >= 0, got ", step));
}

void check_lr(const char* op, const char* what, double lr) {
  if (!(std::isfinite(lr) && lr >= 0)) throw ValueError(op, cat(what, " must be finite and >= 0, got ", lr));
}

// torch's OneCycleLR._annealing_cos: from start to end as pct goes from 0 to 1.
double annealing_cos(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1);
}

}  // namespace

void Schedule::apply(Optimizer& optimizer, int64_t step) const {
  optimizer.set_lr(lr(step));
  if (auto m = momentum(step)) optimizer.set_momentum(*m);
}

// ---- step ----

StepSchedule::StepSchedule(const StepOptions& options) : options_(options) {
  check_lr("step_lr", "lr", options.lr);
  check_lr("step_lr", "gamma", options.gamma);
  if (options.step_size < 1 || options.steps_per_epoch < 1)
    throw ValueError("step_lr", cat("step_size and steps_per_epoch must be >= 1, got ", options.step_size, " and ",
                                    options.steps_per_epoch));
}

double StepSchedule::lr(int64_t step) const {
  check_step("step_lr", step);
  int64_t epoch = step / options_.steps_per_epoch;
  return options_.lr * std::pow(options_.gamma, double(epoch / options_.step_size));
}

nlohmann::json StepSchedule::to_json() const {
  return {{"kind", "step"},
          {"lr", options_.lr},
          {"step_size", options_.step_size},
          {"gamma", options_.gamma},
          {"steps_per_epoch", options_.steps_per_epoch}};
}

// ---- warm-up + cosine ----

WarmupCosineSchedule::WarmupCosineSchedule(const WarmupCosineOptions& options) : options_(options) {
  check_lr("warmup_cosine", "lr", options.lr);
  check_lr("warmup_cosine", "min_lr", options.min_lr);
  if (options.warmup_steps < 0 || options.total_steps <= options.warmup_steps)
    throw ValueError("warmup_cosine", cat("needs 0 <= warmup_steps < total_steps, got ", options.warmup_steps,
                                          " and ", options.total_steps));
  if (!(options.warmup_start_factor > 0 && options.warmup_start_factor <= 1))
    throw ValueError("warmup_cosine",
                     cat("warmup_start_factor must be in (0, 1], got ", options.warmup_start_factor));
}

double WarmupCosineSchedule::lr(int64_t step) const {
  check_step("warmup_cosine", step);
  const auto& o = options_;
  if (step < o.warmup_steps)  // LinearLR's closed form
    return o.lr * (o.warmup_start_factor + (1.0 - o.warmup_start_factor) * double(step) / double(o.warmup_steps));
  if (step >= o.total_steps) return o.min_lr;
  double t = double(step - o.warmup_steps) / double(o.total_steps - o.warmup_steps);
  return o.min_lr + (o.lr - o.min_lr) * (1 + std::cos(M_PI * t)) / 2;
}

nlohmann::json WarmupCosineSchedule::to_json() const {
  return {{"kind", "warmup_cosine"},
          {"lr", options_.lr},
          {"warmup_steps", options_.warmup_steps},
          {"total_steps", options_.total_steps},
          {"min_lr", options_.min_lr},
          {"warmup_start_factor", options_.warmup_start_factor}};
}

// ---- one-cycle ----

OneCycleSchedule::OneCycleSchedule(const OneCycleOptions& options) : options_(options) {
  const auto& o = options;
  check_lr("one_cycle", "max_lr", o.max_lr);
  if (o.total_steps < 1) throw ValueError("one_cycle", cat("total_steps must be >= 1, got ", o.total_steps));
  // torch divides by the length of each phase: neither may be empty.
  double warm_end = o.pct_start * double(o.total_steps) - 1;
  if (!(o.pct_start >= 0 && o.pct_start <= 1) || warm_end == 0 || warm_end == double(o.total_steps - 1))
    throw ValueError("one_cycle", cat("pct_start ", o.pct_start, " must be in [0, 1] and leave both phases of the ",
                                      o.total_steps, " steps non-empty"));
  if (!(o.div_factor > 0 && o.final_div_factor > 0))
    throw ValueError("one_cycle",
                     cat("div_factor and final_div_factor must be > 0, got ", o.div_factor, " and ", o.final_div_factor));
  if (o.cycle_momentum)
    for (double m : {o.base_momentum, o.max_momentum})
      if (!(m >= 0 && m < 1)) throw ValueError("one_cycle", cat("momentums must be in [0, 1), got ", m));
}

std::pair<int, double> OneCycleSchedule::phase(int64_t step) const {
  check_step("one_cycle", step);
  if (step > options_.total_steps)
    throw ValueError("one_cycle", cat("step ", step, " is past the schedule's ", options_.total_steps, " steps"));
  double warm_end = options_.pct_start * double(options_.total_steps) - 1;
  double s = double(step);
  if (s <= warm_end) return {0, s / warm_end};
  return {1, (s - warm_end) / (double(options_.total_steps - 1) - warm_end)};
}

double OneCycleSchedule::lr(int64_t step) const {
  double initial = options_.max_lr / options_.div_factor;
  double min = initial / options_.final_div_factor;
  auto [index, pct] = phase(step);
  return index == 0 ? annealing_cos(initial, options_.max_lr, pct) : annealing_cos(options_.max_lr, min, pct);
}

std::optional<double> OneCycleSchedule::momentum(int64_t step) const {
  if (!options_.cycle_momentum) return std::nullopt;
  auto [index, pct] = phase(step);
  return index == 0 ? annealing_cos(options_.max_momentum, options_.base_momentum, pct)
                    : annealing_cos(options_.base_momentum, options_.max_momentum, pct);
}

nlohmann::json OneCycleSchedule::to_json() const {
  return {{"kind", "one_cycle"},
          {"max_lr", options_.max_lr},
          {"total_steps", options_.total_steps},
          {"pct_start", options_.pct_start},
          {"div_factor", options_.div_factor},
          {"final_div_factor", options_.final_div_factor},
          {"cycle_momentum", options_.cycle_momentum},
          {"base_momentum", options_.base_momentum},
          {"max_momentum", options_.max_momentum}};
}

std::unique_ptr<Schedule> schedule_from_json(const nlohmann::json& json) {
  auto kind = json_field<std::string>("schedule", kWhat, json, "kind");
  if (kind == "step")
    return std::make_unique<StepSchedule>(StepOptions{
        .lr = json_field<double>("schedule", kWhat, json, "lr"),
        .step_size = json_field<int64_t>("schedule", kWhat, json, "step_size"),
        .gamma = json_field<double>("schedule", kWhat, json, "gamma"),
        .steps_per_epoch = json_field<int64_t>("schedule", kWhat, json, "steps_per_epoch"),
    });
  if (kind == "warmup_cosine")
    return std::make_unique<WarmupCosineSchedule>(WarmupCosineOptions{
        .lr = json_field<double>("schedule", kWhat, json, "lr"),
        .warmup_steps = json_field<int64_t>("schedule", kWhat, json, "warmup_steps"),
        .total_steps = json_field<int64_t>("schedule", kWhat, json, "total_steps"),
        .min_lr = json_field<double>("schedule", kWhat, json, "min_lr"),
        .warmup_start_factor = json_field<double>("schedule", kWhat, json, "warmup_start_factor"),
    });
  if (kind == "one_cycle")
    return std::make_unique<OneCycleSchedule>(OneCycleOptions{
        .max_lr = json_field<double>("schedule", kWhat, json, "max_lr"),
        .total_steps = json_field<int64_t>("schedule", kWhat, json, "total_steps"),
        .pct_start = json_field<double>("schedule", kWhat, json, "pct_start"),
        .div_factor = json_field<double>("schedule", kWhat, json, "div_factor"),
        .final_div_factor = json_field<double>("schedule", kWhat, json, "final_div_factor"),
        .cycle_momentum = json_field<bool>("schedule", kWhat, json, "cycle_momentum"),
        .base_momentum = json_field<double>("schedule", kWhat, json, "base_momentum"),
        .max_momentum = json_field<double>("schedule", kWhat, json, "max_momentum"),
    });
  throw ValueError("schedule", cat("unknown schedule kind '", kind, "' (step, warmup_cosine, one_cycle)"));
}

}  // namespace lucid::train
