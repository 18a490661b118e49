#include "lucid/models/resnext.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "lucid/error.h"
#include "lucid/io/key_map.h"
#include "lucid/models/registry.h"

namespace lucid::models {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The counts of lucid's documentation (../shared/seed/VARIANTS.md), equal to torchvision's.
TEST(ResNeXt, SixFactoriesHaveTheDocumentedParameterCounts) {
  nn::SkipInit counting_only;
  EXPECT_EQ(resnext_50_32x4d()->num_parameters(), 25028904);
  EXPECT_EQ(resnext_101_32x4d()->num_parameters(), 44177704);
  EXPECT_EQ(resnext_101_32x8d()->num_parameters(), 88791336);
  EXPECT_EQ(resnext_101_32x16d()->num_parameters(), 194026792);
  EXPECT_EQ(resnext_101_32x32d()->num_parameters(), 468530472);
  EXPECT_EQ(resnext_101_64x4d()->num_parameters(), 83455272);
}

TEST(ResNeXt, MirrorsTheSeedSignature) {
  nn::SkipInit counting_only;
  ResNeXt model(BlockType::Bottleneck, {3, 4, 6, 3}, 32, 4, 10);
  EXPECT_EQ(model.cardinality(), 32);
  EXPECT_EQ(model.base_width(), 4);
  EXPECT_THAT(model.layers(), ElementsAre(3, 4, 6, 3));
  EXPECT_EQ(model.stage(3).size(), 6u);
  EXPECT_EQ(model.num_classes(), 10);
  EXPECT_EQ(model.num_parameters(), 25028904 - 2049000 + 2048 * 10 + 10);
  EXPECT_EQ(resnext_101_64x4d(7)->num_classes(), 7);
}

TEST(ResNeXt, GroupedConvShapesFollowTheWidthRule) {
  nn::SkipInit counting_only;
  auto model = resnext_101_32x8d();
  std::map<std::string, Shape> shapes;
  for (const auto& [k, t] : model->state_dict()) shapes[k] = t.shape();
  // width = floor(planes * base_width / 64) * cardinality: 64*8/64*32 = 256 in stage 1.
  EXPECT_EQ(shapes["layer1.0.conv2.weight"], (Shape{256, 8, 3, 3}));
  EXPECT_EQ(shapes["layer4.2.conv2.weight"], (Shape{2048, 64, 3, 3}));
  EXPECT_EQ(shapes["layer2.0.downsample.0.weight"], (Shape{512, 256, 1, 1}));
  EXPECT_EQ(shapes["fc.weight"], (Shape{1000, 2048}));
  EXPECT_EQ(shapes.count("layer2.1.downsample.0.weight"), 0u);
}

TEST(ResNeXt, ForwardFeaturesHaveTheDocumentedChannelsAndStrides) {
  manual_seed(1);
  ResNeXt model(BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, ModelOptions{.num_classes = 5, .in_channels = 1});
  model.eval();
  Tensor x = Tensor::full({2, 1, 64, 64}, 0.5f);
  auto f = model.forward_features(x);
  auto info = model.feature_info();
  Tensor maps[] = {f.stem, f.layer1, f.layer2, f.layer3, f.layer4};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(maps[i].size(1), info[i].channels) << info[i].name;
    EXPECT_EQ(64 / maps[i].size(2), info[i].stride) << info[i].name;
  }
  EXPECT_EQ(info[4].channels, 2048);
  EXPECT_EQ(info[4].stride, 32);
  EXPECT_EQ(model.forward(x).shape(), (Shape{2, 5}));
}

TEST(ResNeXt, WrongInputChannelsIsAClearError) {
  nn::SkipInit shapes_only;
  auto model = resnext_50_32x4d();
  model->eval();
  try {
    model->forward(Tensor::zeros({1, 1, 32, 32}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(N, 3, H, W), got 1x1x32x32"));
  }
}

TEST(ResNeXt, InitialisesAsTorchvision) {
  manual_seed(7);
  auto model = resnext_50_32x4d(ModelOptions{.zero_init_residual = true});
  auto sd = model->state_dict();
  std::map<std::string, Tensor> t(sd.begin(), sd.end());
  // kaiming normal, fan_out: std = sqrt(2 / (out * k * k)).
  auto stddev = [](const Tensor& w) {
    double s = 0, s2 = 0;
    for (float v : w.to_vector()) s += v, s2 += double(v) * v;
    double n = w.numel();
    return std::sqrt(s2 / n - (s / n) * (s / n));
  };
  EXPECT_NEAR(stddev(t["conv1.weight"]), std::sqrt(2.0 / (64 * 49)), 0.002);
  EXPECT_NEAR(stddev(t["layer3.0.conv2.weight"]), std::sqrt(2.0 / (512 * 9)), 0.0005);
  EXPECT_EQ(t["bn1.weight"].to_vector(), std::vector<float>(64, 1.0f));
  EXPECT_EQ(t["bn1.bias"].to_vector(), std::vector<float>(64, 0.0f));
  EXPECT_EQ(t["layer1.0.bn3.weight"].to_vector(), std::vector<float>(256, 0.0f));  // zero_init_residual
  EXPECT_EQ(t["layer1.0.bn2.weight"].to_vector(), std::vector<float>(128, 1.0f));
  // fc keeps torch's default: U(-1/sqrt(2048), 1/sqrt(2048)).
  for (float v : t["fc.weight"].to_vector()) ASSERT_LE(std::fabs(v), 1.0f / std::sqrt(2048.0f));
}

TEST(ResNeXt, DropoutAddsNoKeys) {
  nn::SkipInit counting_only;
  auto plain = resnext_50_32x4d();
  auto dropped = resnext_50_32x4d(ModelOptions{.dropout = 0.2f});
  EXPECT_EQ(plain->state_dict().size(), dropped->state_dict().size());
  EXPECT_EQ(plain->num_parameters(), dropped->num_parameters());
}

TEST(ResNeXt, ResetClassifierKeepsTheBackbone) {
  auto model = create_model("resnext_50_32x4d");
  Tensor conv1 = model->named_parameters()[0].second;
  std::vector<float> before = conv1.to_vector();
  model->reset_classifier(10);
  EXPECT_EQ(model->num_classes(), 10);
  EXPECT_EQ(model->named_parameters()[0].second.to_vector(), before);
  EXPECT_EQ(model->state_dict().back().second.shape(), (Shape{10}));
}

TEST(Registry, ListsByPatternAndSuggestsNames) {
  EXPECT_THAT(list_models("resnext_101_32x*"),
              ElementsAre("resnext_101_32x4d", "resnext_101_32x8d", "resnext_101_32x16d", "resnext_101_32x32d"));
  EXPECT_THAT(list_models("wide"), ElementsAre("wide_resnet_50_2", "wide_resnet_101_2"));
  EXPECT_EQ(list_models().size(), 14u);
  try {
    create_model("resnext50_32x4d");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown model 'resnext50_32x4d'; did you mean: resnext_50_32x4d"));
  }
}

TEST(Registry, ResNeXtNamesBuildResNeXt) {
  nn::SkipInit counting_only;
  EXPECT_NE(dynamic_cast<ResNeXt*>(create_model("resnext_101_64x4d").get()), nullptr);
  EXPECT_EQ(dynamic_cast<ResNeXt*>(create_model("resnet_50").get()), nullptr);
  EXPECT_THROW(ResNet(BlockType::Basic, {2, 2, 2, 2}, 32, 4), ValueError);
  EXPECT_THROW(ResNeXt(BlockType::Bottleneck, {3, 4, 6}, 32, 4), ValueError);
}

TEST(KeyMap, LucidAndDataParallelNamesBecomeTorchvisions) {
  EXPECT_EQ(io::torchvision_key("stem.0.weight"), "conv1.weight");
  EXPECT_EQ(io::torchvision_key("stem.1.running_var"), "bn1.running_var");
  EXPECT_EQ(io::torchvision_key("classifier.weight"), "fc.weight");
  EXPECT_EQ(io::torchvision_key("classifier.1.bias"), "fc.bias");
  EXPECT_EQ(io::torchvision_key("module.layer1.0.conv2.weight"), "layer1.0.conv2.weight");
  EXPECT_EQ(io::torchvision_key("module.stem.0.weight"), "conv1.weight");
  EXPECT_EQ(io::torchvision_key("layer4.2.bn3.bias"), "layer4.2.bn3.bias");
}

}  // namespace
}  // namespace lucid::models
