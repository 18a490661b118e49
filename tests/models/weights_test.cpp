#include "lucid/models/weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "lucid/error.h"
#include "lucid/io/key_map.h"
#include "lucid/io/safetensors.h"
#include "lucid/models/resnext.h"

namespace lucid::models {
namespace {

using ::testing::HasSubstr;

TEST(Architecture, EveryRegisteredModelIsRecognisedFromItsStateDict) {
  nn::SkipInit shapes_only;
  for (const auto& entry : model_entries()) {
    auto model = create_model(entry.name, {.num_classes = 7, .in_channels = 2});
    Architecture a = infer_architecture(io::TensorMap(model->state_dict()), "mem");
    EXPECT_EQ(a.entry.name, entry.name);
    EXPECT_EQ(a.entry.groups, entry.groups) << entry.name;
    EXPECT_EQ(a.entry.width_per_group, entry.width_per_group) << entry.name;
    EXPECT_EQ(a.entry.layers, entry.layers) << entry.name;
    EXPECT_EQ(a.options.num_classes, 7);
    EXPECT_EQ(a.options.in_channels, 2);
  }
}

TEST(Architecture, UnregisteredShapesStillDescribeTheModel) {
  nn::SkipInit shapes_only;
  ResNeXt model(BlockType::Bottleneck, {1, 2, 1, 1}, 4, 8, 10);
  Architecture a = infer_architecture(io::TensorMap(model.state_dict()), "mem");
  EXPECT_EQ(a.entry.name, "");
  EXPECT_EQ(a.entry.layers, (std::vector<int64_t>{1, 2, 1, 1}));
  EXPECT_EQ(a.entry.groups, 4);
  EXPECT_EQ(a.entry.width_per_group, 8);
  EXPECT_THAT(a.describe(), HasSubstr("cardinality 4, base width 8, 10 classes"));
}

TEST(Architecture, NotAResNetIsAClearError) {
  io::TensorMap junk;
  junk.insert("encoder.weight", Tensor::zeros({3, 3}));
  try {
    infer_architecture(junk, "junk.safetensors");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("junk.safetensors: no 'conv1.weight'"));
  }
}

TEST(Architecture, LoadModelChecksAGivenName) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(LUCID_TEST_TMP) / "weights";
  fs::create_directories(dir);
  manual_seed(3);
  ResNeXt model(BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  // lucid's naming: load_model must see through it.
  std::vector<std::pair<std::string, Tensor>> lucid_named;
  for (auto& [k, t] : model.state_dict()) lucid_named.emplace_back(io::lucid_key(k), t);
  std::string path = (dir / "tiny.safetensors").string();
  io::save_safetensors(path, lucid_named);

  auto loaded = load_model(path);
  EXPECT_EQ(loaded->num_classes(), 10);
  EXPECT_EQ(loaded->state_dict()[0].second.to_vector(), model.state_dict()[0].second.to_vector());
  try {
    load_model(path, "resnext_50_32x4d");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--model resnext_50_32x4d does not match"));
    EXPECT_THAT(e.what(), HasSubstr("layers 1-1-1-1, cardinality 4, base width 4"));
  }
}

TEST(KeyMap, LucidNamesRoundTrip) {
  for (const char* key : {"conv1.weight", "bn1.running_mean", "fc.bias", "layer2.0.downsample.1.weight"})
    EXPECT_EQ(io::torchvision_key(io::lucid_key(key)), key);
  EXPECT_EQ(io::lucid_key("fc.weight"), "classifier.weight");
}

}  // namespace
}  // namespace lucid::models
