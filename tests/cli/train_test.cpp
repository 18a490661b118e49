// lucid train / eval end to end on a slice of Fashion-MNIST (resnext_14_8x4d, a few hundred
// images, so each run takes seconds): metrics and checkpoints, exact resumption, evaluation of
// the checkpoint, classifying with it, and clear errors for bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/run_cli.h"
#include "lucid/io/safetensors.h"
#include "lucid/io/tensor_source.h"
#include "lucid/train/checkpoint.h"

namespace lucid {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::CliResult;
using testing::run_cli;

fs::path tmp_dir() { return testing::process_dir("train"); }

const std::string kRun =
    "train --model resnext_14_8x4d --data fashion-mnist --limit-train 256 --limit-test 128 --batch 64 "
    "--lr 0.02 --threads 2 --workers 2 ";

std::vector<nlohmann::json> metrics(const fs::path& dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// A tensor of a training checkpoint, e.g. "model.fc.weight".
Tensor checkpoint_tensor(const fs::path& file, const std::string& key) {
  io::SafetensorsSource source(io::SafetensorsFile::open(file.string()));
  Tensor t = Tensor::empty(source.shape(key), source.dtype(key));
  source.read_into(key, t);
  return t;
}

// max |a - b| / max |a| over one tensor of the last checkpoints of two runs.
double relative_difference(const fs::path& run_a, const fs::path& run_b, const std::string& key) {
  const std::vector<float> a = checkpoint_tensor(run_a / "last.safetensors", key).to_vector();
  const std::vector<float> b = checkpoint_tensor(run_b / "last.safetensors", key).to_vector();
  EXPECT_EQ(a.size(), b.size()) << key;
  double worst = 0, scale = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, double(std::abs(a[i] - b[i]))), scale = std::max(scale, double(std::abs(a[i])));
  return worst / scale;
}

// lucid exits 1 on runtime errors.
void expect_error(const CliResult& r, const std::string& text) { testing::expect_error(r, 1, text); }

TEST(TrainCli, ResumeContinuesExactly) {
  const fs::path straight = tmp_dir() / "straight", resumed = tmp_dir() / "resumed";
  fs::remove_all(straight), fs::remove_all(resumed);
  CliResult a = run_cli(kRun + "--epochs 2 --out " + straight.string());
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr("epoch 2: train loss"));
  // One epoch of a two-epoch run, as if killed after the first checkpoint, then --resume.
  ASSERT_EQ(run_cli(kRun + "--epochs 2 --stop-after 1 --out " + resumed.string()).code, 0);
  ASSERT_EQ(metrics(resumed).size(), 1u);
  CliResult b2 = run_cli(kRun + "--epochs 2 --resume --out " + resumed.string());
  ASSERT_EQ(b2.code, 0) << b2.err;

  const auto want = metrics(straight), got = metrics(resumed);
  ASSERT_EQ(want.size(), 2u);
  ASSERT_EQ(got.size(), 2u);
  for (size_t e = 0; e < 2; ++e)
    for (const char* key : {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "test_top5", "lr"})
      EXPECT_EQ(got[e][key], want[e][key]) << key << " of epoch " << e + 1;

  // The checkpoint is a weights file too: eval reads it and agrees with the run's last accuracy.
  CliResult eval = run_cli("eval --data fashion-mnist --batch 64 --json --weights " +
                           (straight / "last.safetensors").string());
  ASSERT_EQ(eval.code, 0) << eval.err;
  const auto result = nlohmann::json::parse(eval.out);
  EXPECT_EQ(result["images"], 10000);
}

// With the backbone frozen (BatchNorm in eval mode, so a batch's statistics do not depend on its
// size), two accumulated batches of 16 are one batch of 32: the same classifier after each step.
TEST(TrainCli, AccumulatedBatchesEqualOneLargeBatch) {
  const std::string run =
      "train --model resnext_14_8x4d --data fashion-mnist --limit-train 96 --limit-test 64 --freeze-backbone "
      "--schedule constant --lr 0.05 --momentum 0.9 --threads 2 --workers 1 ";
  const fs::path large = tmp_dir() / "batch32", accumulated = tmp_dir() / "batch16x2", uneven = tmp_dir() / "x4";
  for (const auto& d : {large, accumulated, uneven}) fs::remove_all(d);
  ASSERT_EQ(run_cli(run + "--batch 32 --out " + large.string()).code, 0);
  CliResult r = run_cli(run + "--batch 16 --accumulate 2 --out " + accumulated.string());
  ASSERT_EQ(r.code, 0) << r.err;

  for (const char* key : {"model.fc.weight", "model.fc.bias"})
    EXPECT_LT(relative_difference(large, accumulated, key), 1e-5) << key;
  const auto a = train::Checkpoint::open((large / "last.safetensors").string());
  const auto b = train::Checkpoint::open((accumulated / "last.safetensors").string());
  EXPECT_EQ(a.state().global_step, 3);
  EXPECT_EQ(b.state().global_step, 3);
  EXPECT_NEAR(double(metrics(accumulated)[0]["test_loss"]), double(metrics(large)[0]["test_loss"]), 1e-5);

  // Six batches in groups of four: a full group, then the epoch's last two as a shorter one.
  ASSERT_EQ(run_cli(run + "--batch 16 --accumulate 4 --out " + uneven.string()).code, 0);
  EXPECT_EQ(train::Checkpoint::open((uneven / "last.safetensors").string()).state().global_step, 2);
  // ... which trains another classifier: the equality above is not that of untrained weights.
  EXPECT_GT(relative_difference(large, uneven, "model.fc.weight"), 1e-3);
}

// The EMA is evaluated after each epoch. A decay of 1e-12 keeps (to float precision) just the
// last weights and BN statistics, so it must score as the model; 0.99 over a few steps stays
// near the initial weights and must not.
TEST(TrainCli, EmaWeightsAreEvaluated) {
  const fs::path tracking = tmp_dir() / "ema_tracking", slow = tmp_dir() / "ema_slow";
  fs::remove_all(tracking), fs::remove_all(slow);
  CliResult r = run_cli(kRun + "--ema 1e-12 --out " + tracking.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("EMA test acc"));
  const auto m = metrics(tracking).at(0);
  EXPECT_EQ(m["ema_test_acc"], m["test_acc"]);
  EXPECT_NEAR(double(m["ema_test_loss"]), double(m["test_loss"]), 1e-4 * double(m["test_loss"]));

  ASSERT_EQ(run_cli(kRun + "--ema 0.99 --out " + slow.string()).code, 0);
  const auto s = metrics(slow).at(0);
  EXPECT_GT(std::abs(double(s["ema_test_loss"]) - double(s["test_loss"])), 1e-3);
}

TEST(TrainCli, ResumingAnotherModelNamesBoth) {
  const fs::path dir = tmp_dir() / "other_model";
  fs::remove_all(dir);
  ASSERT_EQ(run_cli(kRun + "--epochs 2 --stop-after 1 --out " + dir.string()).code, 0);
  CliResult r = run_cli(
      "train --model resnet_18 --data fashion-mnist --limit-train 256 --epochs 2 --resume --out " + dir.string());
  expect_error(r, "resnext_14_8x4d");
  EXPECT_THAT(r.err, HasSubstr("resnet_18"));
}

TEST(TrainCli, BadInputGivesClearErrors) {
  const std::string out = " --out " + (tmp_dir() / "bad").string();
  expect_error(run_cli("train --model resnext_14_8x4d --data " + (tmp_dir() / "no_such_folder").string() + out),
               "no_such_folder");
  expect_error(run_cli("train --model resnext_14_8x4d --data fashion-mnist --num-classes 5" + out),
               "--num-classes is 5");
  expect_error(run_cli("train --model resnext_14_8x4d --data fashion-mnist --resume --out " +
                       (tmp_dir() / "never_trained").string()),
               "no checkpoint to continue from");
  expect_error(run_cli("train --model resnext_99 --data fashion-mnist" + out), "resnext_99");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--workers 1000", "--workers: must be 0 (load on the main thread) to 256, got 1000"},
           {"--threads 5000", "--threads: must be 0 (all cores) to 1024, got 5000"},
           {"--epochs 0", "--epochs: must be positive, got 0"}}) {
    const CliResult r = run_cli("train --model resnext_14_8x4d --data fashion-mnist " + args + out);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_THAT(r.err, HasSubstr(message));
  }

  // An image folder with a file that is not an image: the error names the file.
  const fs::path folder = tmp_dir() / "folder";
  for (const char* split : {"train", "test"})
    for (const char* cls : {"a", "b"}) fs::create_directories(folder / split / cls);
  for (const char* split : {"train", "test"})
    for (const char* cls : {"a", "b"}) std::ofstream(folder / split / cls / "x.png") << "not a png";
  expect_error(run_cli("train --model resnext_14_8x4d --image-size 32 --batch 2 --data " + folder.string() + out),
               "x.png");
}

}  // namespace
}  // namespace lucid
