#include "lucid/train/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>

#include "lucid/error.h"
#include "lucid/nn/layers.h"
#include "lucid/train/schedule.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

namespace fs = std::filesystem;
using torch_test::test_dir;

// conv -> bn -> fc: parameters of dim 4, 1 and 2, BN buffers and the I64 counter.
class Net : public nn::Module {
 public:
  explicit Net(int64_t channels = 3) {
    conv = add("conv", std::make_shared<nn::Conv2d>(2, channels, nn::Conv2dOptions{.kernel = 3, .padding = 1}));
    bn = add("bn", std::make_shared<nn::BatchNorm2d>(channels));
    fc = add("fc", std::make_shared<nn::Linear>(channels, 4));
  }
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Net"; }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::Linear> fc;
};

// One training step with gradients that depend on the step and the weights (so a wrong restore shows).
void train_step(Net& model, Optimizer& optimizer, ModelEma& ema, const Schedule& schedule, int64_t step) {
  schedule.apply(optimizer, step);
  for (auto& [key, p] : model.named_parameters()) {
    std::vector<float> g = p.to_vector();
    for (size_t i = 0; i < g.size(); ++i) g[i] = std::cos(g[i] * 3.0f + float(step) + float(i));
    p.set_grad(Tensor::from_vector(p.shape(), g));
  }
  optimizer.step();
  ema.update(model);
  float* mean = model.bn->running_mean.data<float>();
  mean[0] += 0.5f;  // buffers move too
  model.bn->num_batches_tracked.data<int64_t>()[0] += 1;
}

void expect_same(const nn::NamedTensors& a, const nn::NamedTensors& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    ASSERT_EQ(a[i].second.nbytes(), b[i].second.nbytes()) << a[i].first;
    EXPECT_EQ(std::memcmp(a[i].second.raw_data(), b[i].second.raw_data(), a[i].second.nbytes()), 0) << a[i].first;
  }
}

TrainingState state_at(int64_t step, const Schedule& schedule) {
  TrainingState state;
  state.model = "net_3";
  state.architecture = {{"channels", 3}, {"num_classes", 4}};
  state.epoch = step / 2;
  state.global_step = step;
  state.schedule = schedule.to_json();
  state.generators = {{"data", {7, 11}}, {"dropout", {8, 2}}};
  state.user = {{"metrics", {{"top1", 0.5}}}, {"args", {"--epochs", "3"}}};
  return state;
}

TEST(Checkpoint, ResumeContinuesExactly) {
  std::string path = (test_dir() / "run.safetensors").string();
  OneCycleSchedule schedule({.max_lr = 0.1, .total_steps = 10});
  Net straight;
  Sgd sgd(straight.named_parameters(), {.momentum = 0.9, .weight_decay = 1e-4, .nesterov = true});
  ModelEma ema(straight, 0.9);
  for (int64_t s = 0; s < 3; ++s) train_step(straight, sgd, ema, schedule, s);
  save_checkpoint(path, state_at(3, schedule), straight, sgd, &ema);

  Checkpoint checkpoint = Checkpoint::open(path);
  const TrainingState& state = checkpoint.state();
  EXPECT_EQ(state.model, "net_3");
  EXPECT_EQ(state.architecture["channels"], 3);
  EXPECT_EQ(state.epoch, 1);
  EXPECT_EQ(state.global_step, 3);
  EXPECT_EQ(state.generators.at("data"), (GeneratorState{7, 11}));
  EXPECT_EQ(state.user["args"][1], "3");
  EXPECT_TRUE(checkpoint.has_ema());

  // A new process: fresh model (other initial weights), optimizer and EMA from the file.
  Net resumed;
  Sgd resumed_sgd(resumed.named_parameters(), {});
  ModelEma resumed_ema(resumed, 0.5);
  checkpoint.restore("net_3", resumed, resumed_sgd, &resumed_ema);
  auto resumed_schedule = schedule_from_json(state.schedule);
  for (int64_t s = 3; s < 6; ++s) {
    train_step(straight, sgd, ema, schedule, s);
    train_step(resumed, resumed_sgd, resumed_ema, *resumed_schedule, s);
  }
  expect_same(resumed.state_dict(), straight.state_dict());
  expect_same(resumed_sgd.state_tensors(), sgd.state_tensors());
  expect_same(resumed_ema.state_dict(), ema.state_dict());
  EXPECT_EQ(resumed_sgd.state_json(), sgd.state_json());
}

TEST(Checkpoint, AdamwStateResumes) {
  std::string path = (test_dir() / "adamw.safetensors").string();
  StepSchedule schedule({.lr = 1e-3, .step_size = 1, .gamma = 0.5, .steps_per_epoch = 2});
  Net model;
  Adamw adamw(model.named_parameters(), {.exclude_norm_and_bias = true});
  ModelEma ema(model, 0.99);
  for (int64_t s = 0; s < 2; ++s) train_step(model, adamw, ema, schedule, s);
  save_checkpoint(path, state_at(2, schedule), model, adamw);
  Net resumed;
  Adamw resumed_adamw(resumed.named_parameters(), {});
  Checkpoint::open(path).restore("net_3", resumed, resumed_adamw);
  expect_same(resumed_adamw.state_tensors(), adamw.state_tensors());
  EXPECT_EQ(resumed_adamw.weight_decay(1), 0.0);  // the exclusion rule came back with the state
}

// The error's text, or "" when there was none.
template <class Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, ClearErrorsAndNothingChangedOnMismatch) {
  fs::path dir = test_dir();
  std::string path = (dir / "run.safetensors").string();
  OneCycleSchedule schedule({.total_steps = 10});
  Net model;
  Sgd sgd(model.named_parameters(), {.momentum = 0.9});
  ModelEma ema(model, 0.9);
  train_step(model, sgd, ema, schedule, 0);
  save_checkpoint(path, state_at(1, schedule), model, sgd);
  Checkpoint checkpoint = Checkpoint::open(path);

  Net target;
  nn::NamedTensors before;
  for (const auto& [key, t] : target.state_dict()) before.emplace_back(key, t.clone());
  Sgd target_sgd(target.named_parameters(), {});
  ModelEma target_ema(target, 0.9);

  std::string e = error_of([&] { checkpoint.restore("resnext_50_32x4d", target, target_sgd); });
  EXPECT_NE(e.find("net_3"), std::string::npos) << e;
  EXPECT_NE(e.find("resnext_50_32x4d"), std::string::npos) << e;

  Net wider(5);
  Sgd wider_sgd(wider.named_parameters(), {});
  e = error_of([&] { checkpoint.restore("net_3", wider, wider_sgd); });
  EXPECT_NE(e.find("conv.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("3x2x3x3"), std::string::npos) << e;
  EXPECT_NE(e.find("5x2x3x3"), std::string::npos) << e;

  Adamw adamw(target.named_parameters(), {});
  e = error_of([&] { checkpoint.restore("net_3", target, adamw); });
  EXPECT_NE(e.find("'sgd'"), std::string::npos) << e;

  e = error_of([&] { checkpoint.restore("net_3", target, target_sgd, &target_ema); });
  EXPECT_NE(e.find("no EMA"), std::string::npos) << e;
  expect_same(target.state_dict(), before);  // every failed restore left the model alone
  EXPECT_EQ(target_sgd.steps(), 0);

  std::string weights = (dir / "weights.safetensors").string();
  io::save_safetensors(weights, model.state_dict());
  e = error_of([&] { Checkpoint::open(weights); });
  EXPECT_NE(e.find("not a lucid training state"), std::string::npos) << e;

  io::save_safetensors(weights, model.state_dict(), {{"format", "lucid.training_state"}, {"format_version", "2"}});
  EXPECT_THROW(Checkpoint::open(weights), UnsupportedError);
  io::save_safetensors(weights, model.state_dict(), {{"format", "lucid.training_state"}, {"format_version", "1"}});
  e = error_of([&] { Checkpoint::open(weights); });
  EXPECT_NE(e.find("lacks 'model'"), std::string::npos) << e;
}

}  // namespace
}  // namespace lucid::train
