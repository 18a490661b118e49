#include "lucid/train/ema.h"

#include <gtest/gtest.h>

#include "lucid/error.h"
#include "lucid/nn/layers.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

using namespace torch_test;

// conv -> bn: parameters (averaged) and buffers (running statistics, the I64 counter: copied).
class Small : public nn::Module {
 public:
  Small() {
    conv = add("conv", std::make_shared<nn::Conv2d>(2, 3, nn::Conv2dOptions{.kernel = 3, .padding = 1}));
    bn = add("bn", std::make_shared<nn::BatchNorm2d>(3));
  }
  Tensor forward(const Tensor& x) override { return (*bn)((*conv)(x)); }
  std::string type_name() const override { return "Small"; }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
};

// Moves every parameter and buffer of the model to new values (as a training step would).
void perturb(Small& model, int step) {
  for (auto& [key, t] : model.state_dict()) {
    if (t.dtype() == DType::I64) {
      t.data<int64_t>()[0] += 1;
      continue;
    }
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = std::sin(float(i + 1) * 0.37f + float(step)) + float(step) * 0.1f;
  }
}

TEST(ModelEma, MatchesTimmRuleAndCopiesBuffers) {
  const double decay = 0.9;
  Small model;
  ModelEma ema(model, decay);
  nlohmann::json spec = {{"kind", "ema"}, {"decay", decay}, {"shape", model.conv->weight.shape()},
                         {"init", model.conv->weight.to_vector()}, {"updates", nlohmann::json::array()}};
  std::vector<nlohmann::json> ours;
  for (int step = 0; step < 5; ++step) {
    perturb(model, step);
    ema.update(model);
    spec["updates"].push_back(model.conv->weight.to_vector());
    ours.push_back(ema.state_dict()[0].second.to_vector());  // conv.weight comes first
  }
  nlohmann::json torch;
  ASSERT_TRUE(run_torch(nlohmann::json::array({spec}), torch));
  for (size_t s = 0; s < ours.size(); ++s)
    EXPECT_TRUE(close(ours[s], torch[0]["ema"][s], 1e-6)) << "update " << s;
  for (const auto& [key, t] : ema.state_dict()) {
    bool buffer = key.find("running") != std::string::npos || key.find("num_batches") != std::string::npos;
    const auto& model_state = model.state_dict();
    auto it = std::find_if(model_state.begin(), model_state.end(), [&](const auto& e) { return e.first == key; });
    ASSERT_NE(it, model_state.end()) << key;
    if (!buffer) {
      EXPECT_NE(t.to_vector(), it->second.to_vector()) << key;  // averaged, so behind the model
    } else if (t.dtype() == DType::I64) {
      EXPECT_EQ(t.data<int64_t>()[0], it->second.data<int64_t>()[0]) << key;
    } else {
      EXPECT_EQ(t.to_vector(), it->second.to_vector()) << key;
    }
  }
}

TEST(ModelEma, StateRoundTripAndErrors) {
  Small model, other;
  ModelEma ema(model, 0.99);
  perturb(model, 1);
  ema.update(model);
  ModelEma restored(other, 0.5);
  restored.load_state(io::TensorMap(ema.state_dict()), ema.state_json());
  EXPECT_EQ(restored.decay(), 0.99);
  for (size_t i = 0; i < ema.state_dict().size(); ++i) {
    if (ema.state_dict()[i].second.dtype() == DType::F32) {
      EXPECT_EQ(restored.state_dict()[i].second.to_vector(), ema.state_dict()[i].second.to_vector());
    }
  }
  nn::NamedTensors missing(ema.state_dict().begin() + 1, ema.state_dict().end());
  EXPECT_THROW(restored.load_state(io::TensorMap(missing), ema.state_json()), ValueError);
  EXPECT_THROW(restored.load_state(io::TensorMap(ema.state_dict()), nlohmann::json::object()), ValueError);
  EXPECT_THROW(ModelEma(model, 1.5), ValueError);
}

}  // namespace
}  // namespace lucid::train
