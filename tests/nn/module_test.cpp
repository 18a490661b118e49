#include "lucid/nn/module.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lucid/error.h"
#include "lucid/nn/layers.h"

namespace lucid::nn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// conv -> bn, with a second conv as a named child of a nested Sequential.
class Tiny : public Module {
 public:
  Tiny() {
    conv = add("conv", std::make_shared<Conv2d>(2, 4, Conv2dOptions{.kernel = 3, .padding = 1}));
    bn = add("bn", std::make_shared<BatchNorm2d>(4));
    auto seq = std::make_shared<Sequential>();
    seq->push_back(std::make_shared<Conv2d>(4, 4, Conv2dOptions{.kernel = 1, .bias = false}));
    body = add("body", seq);
  }
  Tensor forward(const Tensor& x) override { return (*body)((*bn)((*conv)(x))); }
  std::string type_name() const override { return "Tiny"; }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::shared_ptr<Sequential> body;
};

std::vector<std::string> keys(const NamedTensors& tensors) {
  std::vector<std::string> out;
  for (const auto& [k, _] : tensors) out.push_back(k);
  return out;
}

TEST(Module, StateDictKeysInTorchOrder) {
  Tiny m;
  EXPECT_THAT(keys(m.state_dict()),
              ElementsAre("conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                          "bn.num_batches_tracked", "body.0.weight"));
  EXPECT_THAT(keys(m.named_parameters()), ElementsAre("conv.weight", "conv.bias", "bn.weight", "bn.bias", "body.0.weight"));
  EXPECT_EQ(m.num_parameters(), 4 * 2 * 9 + 4 + 4 + 4 + 16);
  EXPECT_EQ(m.parameters().size(), 5u);
}

TEST(Module, ParameterHandlesAreTheRegisteredTensors) {
  Tiny m;
  auto params = m.named_parameters();
  EXPECT_TRUE(params[0].second.same(m.conv->weight));
}

TEST(Module, TrainEvalPropagates) {
  Tiny m;
  EXPECT_TRUE(m.bn->is_training());
  m.eval();
  EXPECT_FALSE(m.bn->is_training());
  EXPECT_FALSE((*m.body)[0].is_training());
  m.train();
  EXPECT_TRUE((*m.body)[0].is_training());
}

TEST(Module, StrictLoadRoundTrips) {
  Tiny a, b;
  a.bn->running_mean.data<float>()[2] = 0.5f;
  io::TensorMap source(a.state_dict());
  b.load_state_dict(source);
  EXPECT_EQ(b.conv->weight.to_vector(), a.conv->weight.to_vector());
  EXPECT_EQ(b.bn->running_mean.data<float>()[2], 0.5f);
  EXPECT_FALSE(b.conv->weight.same(a.conv->weight));  // copied, not aliased
}

TEST(Module, StrictLoadNamesTheProblemAndChangesNothing) {
  Tiny m;
  std::vector<float> before = m.conv->weight.to_vector();
  io::TensorMap source(m.state_dict());
  io::TensorMap wrong;
  for (const auto& key : source.keys())
    wrong.insert(key, key == "bn.bias" ? Tensor::zeros({5}) : source.at(key).clone());
  Tensor changed = wrong.at("conv.weight");
  changed.data<float>()[0] = 42.0f;
  try {
    m.load_state_dict(wrong);
    FAIL() << "expected a shape error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bn.bias: source has 5, model has 4"));
  }
  EXPECT_EQ(m.conv->weight.to_vector(), before);
}

TEST(Module, NonStrictReportsByName) {
  Tiny m;
  io::TensorMap source;
  source.insert("conv.weight", Tensor::zeros({4, 2, 3, 3}));
  source.insert("bn.weight", Tensor::zeros({3}));
  source.insert("extra.weight", Tensor::zeros({1}));
  LoadReport r = m.load_state_dict(source, false);
  EXPECT_THAT(r.unexpected, ElementsAre("extra.weight"));
  EXPECT_THAT(r.mismatched, ElementsAre("bn.weight: source has 3, model has 4"));
  EXPECT_THAT(r.missing, ElementsAre("conv.bias", "bn.bias", "bn.running_mean", "bn.running_var", "body.0.weight"));
  EXPECT_EQ(m.conv->weight.to_vector(), std::vector<float>(72, 0.0f));  // what matched was loaded
  EXPECT_FALSE(r.complete());
}

TEST(Module, MissingStepCounterIsNotAnError) {
  Tiny a, b;
  io::TensorMap source;
  for (const auto& [k, t] : a.state_dict())
    if (k != "bn.num_batches_tracked") source.insert(k, t);
  EXPECT_TRUE(b.load_state_dict(source).complete());
}

TEST(Module, StrictLoadRejectsUnexpectedAndMissing) {
  Tiny m;
  io::TensorMap extra(m.state_dict());
  extra.insert("head.weight", Tensor::zeros({1}));
  EXPECT_THROW(m.load_state_dict(extra), ValueError);
  io::TensorMap partial;
  partial.insert("conv.weight", m.conv->weight);
  try {
    m.load_state_dict(partial);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing key 'conv.bias'"));
  }
}

TEST(Module, RenamedSourceMapsAndRejectsCollisions) {
  auto inner = std::make_shared<io::TensorMap>();
  inner->insert("module.a", Tensor::zeros({1}));
  inner->insert("a", Tensor::zeros({1}));
  auto strip = [](const std::string& k) { return k.rfind("module.", 0) == 0 ? k.substr(7) : k; };
  EXPECT_THROW(io::RenamedSource(inner, strip), ValueError);
  io::RenamedSource hidden(inner, [](const std::string& k) { return k == "a" ? std::string() : k; });
  EXPECT_THAT(hidden.keys(), ElementsAre("module.a"));
}

TEST(Module, NamesAreCheckedOnce) {
  class Bad : public Module {
   public:
    Bad() {
      add("x", std::make_shared<ReLU>());
      add("x", std::make_shared<ReLU>());
    }
    Tensor forward(const Tensor& x) override { return x; }
    std::string type_name() const override { return "Bad"; }
  };
  EXPECT_THROW(Bad(), ValueError);
}

TEST(Layers, DropoutIsIdentityInEvalAndScalesInTraining) {
  Dropout d(0.5f, 3);
  Tensor x = Tensor::full({1000}, 2.0f);
  d.eval();
  EXPECT_TRUE(d(x).same(x));
  d.train();
  std::vector<float> y = d(x).to_vector();
  int zeros = 0;
  for (float v : y) {
    EXPECT_TRUE(v == 0.0f || v == 4.0f);
    zeros += v == 0.0f;
  }
  EXPECT_NEAR(zeros, 500, 60);
  EXPECT_THROW(Dropout(1.0f), ValueError);
}

TEST(Layers, ConvChecksItsConfiguration) {
  EXPECT_THROW(Conv2d(6, 8, Conv2dOptions{.kernel = 3, .groups = 4}), ValueError);
  EXPECT_THROW(Conv2d(0, 8, Conv2dOptions{}), ValueError);
  Conv2d conv(8, 16, Conv2dOptions{.kernel = 3, .groups = 4, .bias = false});
  EXPECT_EQ(conv.weight.shape(), (Shape{16, 2, 3, 3}));
  EXPECT_FALSE(conv.bias.defined());
  EXPECT_EQ(conv.macs({1, 16, 5, 5}), 16 * 25 * 2 * 9);
}

}  // namespace
}  // namespace lucid::nn
