// lucid train / eval end to end on a slice of Fashion-MNIST (resnext_14_8x4d, a few hundred
// images, so each run takes seconds): metrics and checkpoints, exact resumption, evaluation of
// the checkpoint, classifying with it, and clear errors for bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"

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

void expect_error(const CliResult& r, const std::string& text) {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(text));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

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
