#include "lucid/train/optimizer.h"

#include <gtest/gtest.h>

#include "lucid/error.h"
#include "lucid/nn/layers.h"
#include "lucid/train/schedule.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

using namespace torch_test;

// Values in [-1, 1) from a small LCG: hand-set inputs, the same for lucid and torch.
std::vector<float> pattern(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (float& x : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x = float(seed >> 40) / float(1 << 23) - 1.0f;
  }
  return v;
}

// A conv weight, a norm's weight and bias (dim 1: excluded from decay by the timm rule), a head.
nn::NamedTensors make_params() {
  nn::NamedTensors params = {{"conv.weight", Tensor::from_vector({4, 3, 1, 1}, pattern(12, 1))},
                             {"bn.weight", Tensor::from_vector({4}, pattern(4, 2))},
                             {"bn.bias", Tensor::from_vector({4}, pattern(4, 3))},
                             {"fc.weight", Tensor::from_vector({2, 5}, pattern(10, 4))}};
  for (auto& [name, p] : params) p.set_requires_grad();
  return params;
}

struct Case {
  std::string name;
  nlohmann::json hyper;
  bool exclude = false;
  nlohmann::json one_cycle = nullptr;  // null: fixed hyper-parameters
  double state_rel = 1e-6;             // for the state tensors (the parameters are held to 1e-6)
};

std::unique_ptr<Optimizer> make(const nn::NamedTensors& params, const Case& c) {
  const auto& h = c.hyper;
  if (h.contains("momentum"))
    return std::make_unique<Sgd>(params, SgdOptions{.lr = h["lr"],
                                                    .momentum = h["momentum"],
                                                    .dampening = h["dampening"],
                                                    .weight_decay = h["weight_decay"],
                                                    .nesterov = h["nesterov"],
                                                    .exclude_norm_and_bias = c.exclude});
  return std::make_unique<Adamw>(params, AdamwOptions{.lr = h["lr"],
                                                      .beta1 = h["beta1"],
                                                      .beta2 = h["beta2"],
                                                      .eps = h["eps"],
                                                      .weight_decay = h["weight_decay"],
                                                      .exclude_norm_and_bias = c.exclude});
}

constexpr int kSteps = 6;

// Each step's gradients, per parameter; empty: none (bn.bias at step 2, so it is skipped and
// AdamW's per-parameter step count lags).
std::vector<std::vector<std::vector<float>>> make_grads(const nn::NamedTensors& params) {
  std::vector<std::vector<std::vector<float>>> grads(kSteps);
  for (int s = 0; s < kSteps; ++s)
    for (size_t i = 0; i < params.size(); ++i)
      grads[s].push_back(s == 2 && params[i].first == "bn.bias"
                             ? std::vector<float>{}
                             : pattern(size_t(params[i].second.numel()), 100 + 10 * s + i));
  return grads;
}

nlohmann::json torch_case(const Case& c) {
  nn::NamedTensors params = make_params();
  nlohmann::json spec = {{"kind", "optimizer"},
                         {"optimizer", c.hyper.contains("momentum") ? "sgd" : "adamw"},
                         {"hyper", c.hyper},
                         {"params", nlohmann::json::array()},
                         {"grads", nlohmann::json::array()}};
  for (const auto& [name, p] : params)
    spec["params"].push_back(
        {{"name", name}, {"shape", p.shape()}, {"values", p.to_vector()}, {"decay", !(c.exclude && p.dim() <= 1)}});
  for (const auto& step : make_grads(params)) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& g : step) row.push_back(g.empty() ? nlohmann::json(nullptr) : nlohmann::json(g));
    spec["grads"].push_back(row);
  }
  if (!c.one_cycle.is_null()) spec["one_cycle"] = c.one_cycle;
  return spec;
}

// Runs a case in lucid: each step's parameters, then the state, within 1e-6 of torch's.
void check_case(const Case& c, const nlohmann::json& want) {
  SCOPED_TRACE(c.name);
  nn::NamedTensors params = make_params();
  auto grads = make_grads(params);
  std::unique_ptr<Schedule> schedule = c.one_cycle.is_null() ? nullptr : schedule_from_json(c.one_cycle);
  auto optimizer = make(params, c);
  for (int s = 0; s < kSteps; ++s) {
    if (schedule) schedule->apply(*optimizer, s);
    for (size_t i = 0; i < params.size(); ++i)
      params[i].second.set_grad(grads[s][i].empty() ? Tensor()
                                                    : Tensor::from_vector(params[i].second.shape(), grads[s][i]));
    optimizer->step();
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(close(values(params[i].second), want["params"][s][i], 1e-6)) << "step " << s << " " << params[i].first;
  }
  nn::NamedTensors state = optimizer->state_tensors();
  EXPECT_EQ(state.size(), want["state"].size());
  for (const auto& [key, t] : state) {
    ASSERT_TRUE(want["state"].contains(key)) << key;
    std::vector<float> got = t.dtype() == DType::I64 ? std::vector<float>{float(t.data<int64_t>()[0])} : values(t);
    EXPECT_TRUE(close(got, want["state"][key], c.state_rel)) << key;
  }
}

void check_against_torch(const std::vector<Case>& cases) {
  nlohmann::json specs = nlohmann::json::array(), torch;
  for (const Case& c : cases) specs.push_back(torch_case(c));
  ASSERT_TRUE(run_torch(specs, torch));
  for (size_t i = 0; i < cases.size(); ++i) check_case(cases[i], torch[i]);
}

const nlohmann::json kOneCycle = {{"kind", "one_cycle"},     {"max_lr", 0.05},       {"total_steps", kSteps},
                                  {"pct_start", 0.4},        {"div_factor", 25.0},   {"final_div_factor", 1e4},
                                  {"cycle_momentum", true},  {"base_momentum", 0.85}, {"max_momentum", 0.95}};

nlohmann::json sgd(double lr, double momentum, double dampening, double wd, bool nesterov) {
  return {{"lr", lr}, {"momentum", momentum}, {"dampening", dampening}, {"weight_decay", wd}, {"nesterov", nesterov}};
}
nlohmann::json adamw(double lr, double beta1, double beta2, double eps, double wd) {
  return {{"lr", lr}, {"beta1", beta1}, {"beta2", beta2}, {"eps", eps}, {"weight_decay", wd}};
}

TEST(Sgd, MatchesTorch) {
  check_against_torch({Case{"plain", sgd(0.1, 0.0, 0.0, 0.0, false)},
                       Case{"decay without momentum", sgd(0.1, 0.0, 0.0, 1e-2, false)},
                       Case{"momentum, decay", sgd(0.1, 0.9, 0.0, 1e-4, false)},
                       Case{"momentum, dampening, decay excluding norm and bias", sgd(0.05, 0.9, 0.1, 5e-2, false), true},
                       Case{"nesterov, decay", sgd(0.1, 0.9, 0.0, 5e-4, true)},
                       Case{"nesterov, one-cycle momentum", sgd(0.1, 0.9, 0.0, 1e-3, true), true, kOneCycle}});
}

TEST(Adamw, MatchesTorch) {
  check_against_torch({Case{"float-exact hyper-parameters", adamw(0x1p-10, 0.875, 1 - 0x1p-10, 0x1p-27, 0x1p-6)},
                       Case{"defaults", adamw(1e-3, 0.9, 0.999, 1e-8, 1e-2), false},
                       Case{"excluding norm and bias", adamw(1e-2, 0.8, 0.99, 1e-6, 5e-2), true},
                       Case{"one-cycle beta1", adamw(1e-3, 0.9, 0.999, 1e-8, 1e-2), true, kOneCycle}});
}

TEST(Optimizer, KeepsTrainableParametersAndExcludesNormAndBiasFromDecay) {
  nn::Linear frozen(3, 4), head(4, 2);
  frozen.weight.set_requires_grad(false);
  frozen.bias.set_requires_grad(false);
  nn::NamedTensors params = frozen.named_parameters();
  for (const auto& [name, p] : head.named_parameters()) params.emplace_back("head." + name, p);
  Sgd sgd(params, {.lr = 0.1, .weight_decay = 1e-4, .exclude_norm_and_bias = true});
  ASSERT_EQ(sgd.parameters().size(), 2u);
  EXPECT_EQ(sgd.parameters()[0].first, "head.weight");
  EXPECT_EQ(sgd.weight_decay(0), 1e-4);
  EXPECT_EQ(sgd.weight_decay(1), 0.0);
  Adamw adamw(params, {.weight_decay = 0.05});
  EXPECT_EQ(adamw.weight_decay(1), 0.05);
}

TEST(Optimizer, ZeroGradClearsAndStepSkipsParametersWithoutGradients) {
  nn::NamedTensors params = make_params();
  Sgd sgd(params, {.lr = 0.1, .momentum = 0.9});
  params[0].second.set_grad(Tensor::full({4, 3, 1, 1}, 1.0f));
  std::vector<float> before = params[1].second.to_vector();
  sgd.step();
  EXPECT_EQ(params[1].second.to_vector(), before);
  ASSERT_EQ(sgd.state_tensors().size(), 1u);  // a momentum buffer only for the updated one
  EXPECT_EQ(sgd.state_tensors()[0].first, "momentum_buffer.conv.weight");
  sgd.zero_grad();
  EXPECT_FALSE(params[0].second.grad().defined());
  EXPECT_EQ(sgd.steps(), 1);
}

TEST(Optimizer, RejectsBadHyperParameters) {
  nn::NamedTensors params = make_params();
  EXPECT_THROW(Sgd(params, {.lr = -1}), ValueError);
  EXPECT_THROW((Sgd(params, {.momentum = 0.0, .nesterov = true})), ValueError);
  EXPECT_THROW((Sgd(params, {.momentum = 0.9, .dampening = 0.1, .nesterov = true})), ValueError);
  EXPECT_THROW(Adamw(params, {.beta1 = 1.0}), ValueError);
  Sgd sgd(params, {.momentum = 0.9});
  EXPECT_THROW(sgd.set_lr(std::nan("")), ValueError);
  EXPECT_THROW(sgd.set_momentum(-0.1), ValueError);
  params[0].second.set_grad(Tensor::zeros({4, 3, 1, 1}, DType::F64));
  try {
    sgd.step();
    FAIL() << "an F64 gradient for an F32 parameter was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("conv.weight"), std::string::npos) << e.what();
  }
}

// Steps n times with fixed, step-dependent gradients.
void run_steps(Optimizer& optimizer, const nn::NamedTensors& params, int from, int to) {
  for (int s = from; s < to; ++s) {
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor p = params[i].second;
      p.set_grad(Tensor::from_vector(p.shape(), pattern(size_t(p.numel()), 7 * s + i)));
    }
    optimizer.step();
  }
}

TEST(Optimizer, StateRoundTripContinuesExactly) {
  for (bool use_sgd : {true, false}) {
    SCOPED_TRACE(use_sgd ? "sgd" : "adamw");
    auto make_one = [&](const nn::NamedTensors& p) -> std::unique_ptr<Optimizer> {
      if (use_sgd) return std::make_unique<Sgd>(p, SgdOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});
      return std::make_unique<Adamw>(p, AdamwOptions{.lr = 1e-2});
    };
    nn::NamedTensors straight = make_params(), resumed = make_params();
    auto a = make_one(straight), b = make_one(resumed);
    run_steps(*a, straight, 0, 5);
    run_steps(*b, resumed, 0, 3);
    // A fresh optimizer (other hyper-parameters) over copies of b's parameters takes b's state.
    nn::NamedTensors copies;
    for (const auto& [name, p] : resumed) copies.emplace_back(name, p.clone().set_requires_grad());
    std::unique_ptr<Optimizer> c = use_sgd ? std::unique_ptr<Optimizer>(std::make_unique<Sgd>(copies, SgdOptions{}))
                                           : std::make_unique<Adamw>(copies, AdamwOptions{});
    c->load_state(io::TensorMap(b->state_tensors()), b->state_json());
    EXPECT_EQ(c->lr(), b->lr());
    EXPECT_EQ(c->momentum(), b->momentum());
    EXPECT_EQ(c->steps(), 3);
    run_steps(*c, copies, 3, 5);
    for (size_t i = 0; i < straight.size(); ++i)
      EXPECT_EQ(copies[i].second.to_vector(), straight[i].second.to_vector()) << straight[i].first;
  }
}

TEST(Optimizer, LoadStateNamesWhatDoesNotMatch) {
  nn::NamedTensors params = make_params();
  Sgd sgd(params, {.momentum = 0.9});
  run_steps(sgd, params, 0, 1);
  nn::NamedTensors state = sgd.state_tensors();
  nlohmann::json json = sgd.state_json();
  auto expect_error = [&](const io::TensorSource& tensors, const nlohmann::json& j, const std::string& needle) {
    nn::NamedTensors fresh = make_params();
    Sgd target(fresh, {.momentum = 0.9});
    try {
      target.load_state(tensors, j);
      ADD_FAILURE() << "no error; wanted one mentioning " << needle;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(target.steps(), 0);  // nothing changed
    EXPECT_TRUE(target.state_tensors().empty());
  };
  nn::NamedTensors renamed = state;
  renamed[1].first = "momentum_buffer.head.weight";
  expect_error(io::TensorMap(renamed), json, "'momentum_buffer.head.weight'");
  nn::NamedTensors reshaped = state;
  reshaped[0].second = Tensor::zeros({12});
  expect_error(io::TensorMap(reshaped), json, "4x3x1x1");
  nlohmann::json wrong_type = json;
  wrong_type["type"] = "adamw";
  expect_error(io::TensorMap(state), wrong_type, "'adamw'");
  nlohmann::json fewer = json;
  fewer["parameters"] = 3;
  expect_error(io::TensorMap(state), fewer, "3 parameters");
  nlohmann::json no_momentum = json;
  no_momentum["hyper"].erase("momentum");
  expect_error(io::TensorMap(state), no_momentum, "'momentum'");

  Adamw adamw(params, {});
  run_steps(adamw, params, 0, 1);
  nn::NamedTensors adam_state = adamw.state_tensors();
  adam_state.erase(adam_state.begin() + 1);  // exp_avg_sq of the first parameter
  nn::NamedTensors fresh = make_params();
  Adamw target(fresh, {});
  try {
    target.load_state(io::TensorMap(adam_state), adamw.state_json());
    ADD_FAILURE() << "a parameter with part of its state was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("exp_avg_sq.conv.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lucid::train
