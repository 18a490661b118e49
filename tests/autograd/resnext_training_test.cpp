// Training parity with PyTorch: a small ResNeXt (layers [1,1,1,1], cardinality 4, base width 4,
// one input channel, 10 classes) and three fixed batches, trained three steps of SGD (momentum,
// nesterov, weight decay) with label-smoothed cross entropy, here and by
// scripts/resnext_train_reference.py with torchvision. Compares the loss, every parameter gradient, and
// every parameter and BatchNorm running statistic after the third step.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/gradcheck.h"
#include "lucid/io/safetensors.h"
#include "lucid/io/tensor_source.h"
#include "lucid/models/resnext.h"
#include "lucid/ops.h"
#include "lucid/train/optimizer.h"

namespace lucid::testing {
namespace {

namespace fs = std::filesystem;

// Largest difference relative to the largest reference value of the tensor (I64 exactly).
double tensor_error(const Tensor& got, const Tensor& want) {
  if (want.dtype() == DType::I64) return got.data<int64_t>()[0] == want.data<int64_t>()[0] ? 0.0 : 1.0;
  return relative_error(got, want, 1e-6);
}

class ResNeXtTraining : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(LUCID_TEST_TMP) / "autograd" / "resnext_training";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const fs::path script = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" /
                            "resnext_train_reference.py";
    const std::string command = "/usr/bin/python3 '" + script.string() + "' '" + dir_.string() + "' > '" +
                                (dir_ / "log.txt").string() + "' 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  static fs::path dir_;
  static bool ok_;
};
fs::path ResNeXtTraining::dir_;
bool ResNeXtTraining::ok_ = false;

TEST_F(ResNeXtTraining, MatchesPyTorchLossGradientsAndSgdSteps) {
  ASSERT_TRUE(ok_) << "scripts/resnext_train_reference.py failed; see " << (dir_ / "log.txt");
  nlohmann::json s;
  std::ifstream(dir_ / "manifest.json") >> s;
  auto model = std::make_shared<models::ResNeXt>(
      models::BlockType::Bottleneck, s["layers"].get<std::vector<int64_t>>(), s["cardinality"].get<int64_t>(),
      s["base_width"].get<int64_t>(),
      models::ModelOptions{.num_classes = s["num_classes"].get<int64_t>(),
                           .in_channels = s["in_channels"].get<int64_t>()});
  model->load_state_dict(io::SafetensorsSource(io::SafetensorsFile::open((dir_ / "weights.safetensors").string())));
  model->train();
  const auto batches = io::SafetensorsFile::open((dir_ / "batches.safetensors").string());
  const auto reference = io::SafetensorsFile::open((dir_ / "reference.safetensors").string());

  train::Sgd sgd(model->named_parameters(), {.lr = s["lr"].get<double>(),
                                             .momentum = s["momentum"].get<double>(),
                                             .weight_decay = s["weight_decay"].get<double>(),
                                             .nesterov = s["nesterov"].get<bool>()});
  const float smoothing = s["label_smoothing"].get<float>();
  for (int k = 0; k < s["steps"].get<int>(); ++k) {
    const std::string step = std::to_string(k);
    sgd.zero_grad();
    Tensor loss = ops::cross_entropy((*model)(batches.load("images." + step)), batches.load("labels." + step),
                                     smoothing);
    const float want = reference.load("loss." + step).data<float>()[0];
    EXPECT_NEAR(loss.data<float>()[0], want, 1e-5 * std::abs(want)) << "loss at step " << k;
    loss.backward();
    if (k == 0)
      for (const auto& [name, param] : model->named_parameters()) {
        ASSERT_TRUE(param.grad().defined()) << name;
        EXPECT_LT(tensor_error(param.grad(), reference.load("grad." + name)), 1e-4) << "gradient of " << name;
      }
    sgd.step();
  }
  for (const auto& [name, tensor] : model->state_dict())
    EXPECT_LT(tensor_error(tensor, reference.load("final." + name)), 1e-5) << name << " after the SGD steps";
}

}  // namespace
}  // namespace lucid::testing
