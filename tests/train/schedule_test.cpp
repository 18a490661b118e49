#include "lucid/train/schedule.h"

#include <gtest/gtest.h>

#include "lucid/error.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

using namespace torch_test;

struct Case {
  std::string optimizer;  // "sgd" or "adamw": whose momentum (beta1) a one-cycle schedule cycles
  std::shared_ptr<Schedule> schedule;
  int64_t steps;
};

// Per step, |ours - torch| <= 1e-9 |torch|: torch's recursive forms (StepLR, LinearLR,
// CosineAnnealingLR) equal the closed forms up to accumulated double rounding.
::testing::AssertionResult same_sequence(const Schedule& s, bool momentum, const nlohmann::json& want) {
  for (size_t i = 0; i < want.size(); ++i) {
    double got = momentum ? s.momentum(int64_t(i)).value_or(-1) : s.lr(int64_t(i)), w = want[i];
    if (!(std::abs(got - w) <= 1e-9 * std::abs(w) + 1e-18))
      return ::testing::AssertionFailure() << (momentum ? "momentum" : "lr") << " at step " << i << ": " << got
                                           << ", torch " << w;
  }
  return ::testing::AssertionSuccess();
}

TEST(Schedule, MatchesTorchSchedulers) {
  std::vector<Case> cases = {
      {"sgd", std::make_shared<StepSchedule>(StepOptions{.lr = 0.1, .step_size = 2, .gamma = 0.1, .steps_per_epoch = 3}),
       20},
      {"sgd", std::make_shared<StepSchedule>(StepOptions{.lr = 0.4, .step_size = 30, .gamma = 0.5, .steps_per_epoch = 7}),
       700},
      {"sgd",
       std::make_shared<WarmupCosineSchedule>(
           WarmupCosineOptions{.lr = 0.1, .warmup_steps = 5, .total_steps = 40, .min_lr = 1e-5, .warmup_start_factor = 0.01}),
       40},
      {"adamw",
       std::make_shared<WarmupCosineSchedule>(WarmupCosineOptions{
           .lr = 2e-3, .warmup_steps = 500, .total_steps = 5000, .min_lr = 0.0, .warmup_start_factor = 1.0 / 3}),
       5000},
      {"sgd", std::make_shared<WarmupCosineSchedule>(WarmupCosineOptions{.lr = 0.5, .warmup_steps = 0, .total_steps = 25}),
       25},
      {"sgd", std::make_shared<OneCycleSchedule>(OneCycleOptions{.max_lr = 0.1, .total_steps = 100}), 100},
      {"adamw", std::make_shared<OneCycleSchedule>(OneCycleOptions{.max_lr = 3e-3, .total_steps = 37, .pct_start = 0.25}),
       37},
      {"sgd",
       std::make_shared<OneCycleSchedule>(OneCycleOptions{
           .max_lr = 1.0, .total_steps = 1000, .pct_start = 0.1, .div_factor = 10, .final_div_factor = 100}),
       1000},
  };
  nlohmann::json specs = nlohmann::json::array(), torch;
  for (const Case& c : cases)
    specs.push_back({{"kind", "schedule"}, {"schedule", c.schedule->to_json()}, {"steps", c.steps}, {"optimizer", c.optimizer}});
  ASSERT_TRUE(run_torch(specs, torch));
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(specs[i].dump());
    const Schedule& s = *cases[i].schedule;
    ASSERT_EQ(torch[i]["lr"].size(), size_t(cases[i].steps));
    EXPECT_TRUE(same_sequence(s, false, torch[i]["lr"]));
    if (s.momentum(0)) {
      EXPECT_TRUE(same_sequence(s, true, torch[i]["momentum"]));
    }
    // The checkpointed form gives the same schedule back.
    auto back = schedule_from_json(s.to_json());
    for (int64_t step : {int64_t(0), cases[i].steps / 3, cases[i].steps - 1}) EXPECT_EQ(back->lr(step), s.lr(step));
  }
}

TEST(Schedule, ApplySetsLrAndMomentum) {
  nn::NamedTensors params = {{"w", Tensor::zeros({2}).set_requires_grad()}};
  Sgd sgd(params, {.lr = 1.0, .momentum = 0.5});
  OneCycleSchedule one_cycle({.max_lr = 0.1, .total_steps = 10});
  one_cycle.apply(sgd, 3);
  EXPECT_EQ(sgd.lr(), one_cycle.lr(3));
  EXPECT_EQ(sgd.momentum(), *one_cycle.momentum(3));
  StepSchedule step({.lr = 0.2});
  step.apply(sgd, 0);
  EXPECT_EQ(sgd.lr(), 0.2);
  EXPECT_EQ(sgd.momentum(), *one_cycle.momentum(3));  // a schedule without momentum leaves it
}

TEST(Schedule, WarmupCosineHoldsMinLrAfterTheEnd) {
  WarmupCosineSchedule s({.lr = 0.1, .warmup_steps = 2, .total_steps = 10, .min_lr = 1e-4});
  EXPECT_EQ(s.lr(10), 1e-4);
  EXPECT_EQ(s.lr(1000), 1e-4);
}

TEST(Schedule, RejectsBadOptionsAndSteps) {
  EXPECT_THROW(StepSchedule({.step_size = 0}), ValueError);
  EXPECT_THROW((WarmupCosineSchedule({.warmup_steps = 10, .total_steps = 10})), ValueError);
  EXPECT_THROW((WarmupCosineSchedule({.total_steps = 10, .warmup_start_factor = 0})), ValueError);
  EXPECT_THROW((OneCycleSchedule({.total_steps = 10, .pct_start = 0.1})), ValueError);  // an empty warm-up phase
  EXPECT_THROW((OneCycleSchedule({.total_steps = 10, .base_momentum = 1.5})), ValueError);
  OneCycleSchedule s({.total_steps = 10});
  EXPECT_NO_THROW(s.lr(10));  // torch allows one step past the last
  EXPECT_THROW(s.lr(11), ValueError);
  EXPECT_THROW(s.lr(-1), ValueError);
  EXPECT_THROW(schedule_from_json(nlohmann::json::parse(R"({"kind": "cyclic"})")), ValueError);
  EXPECT_THROW(schedule_from_json(nlohmann::json::parse(R"({"kind": "step", "lr": 0.1})")), ValueError);
}

}  // namespace
}  // namespace lucid::train
