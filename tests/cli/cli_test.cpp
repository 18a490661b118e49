// The `lucid` binary as a user meets it: output, exit codes, one-line errors, never a signal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lucid/io/safetensors.h"
#include "lucid/models/registry.h"
#include "cli/run_cli.h"

namespace lucid {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::CliResult;
using testing::read_file;

fs::path tmp_dir() { return testing::process_dir("cli"); }

CliResult lucid(const std::string& args) { return testing::run_cli(args); }

using testing::expect_error;

// A resnext_50_32x4d weight file and a 1x3x64x64 input, written once.
struct Files {
  fs::path weights = tmp_dir() / "r50.safetensors";
  fs::path input = tmp_dir() / "input.safetensors";
  Files() {
    if (!fs::exists(weights)) {
      auto model = models::create_model("resnext_50_32x4d");
      io::save_safetensors(weights, model->state_dict());
    }
    io::save_safetensors(input, {{"input", Tensor::full({1, 3, 64, 64}, 0.25f)}});
  }
};

std::string forward_args(const Files& f, const std::string& model, const std::string& extra = "") {
  return "forward --model " + model + " --weights " + f.weights.string() + " --input " + f.input.string() +
         " --output " + (tmp_dir() / "out.safetensors").string() + " " + extra;
}

TEST(Cli, ListShowsEveryResNeXtWithItsParameterCount) {
  CliResult r = lucid("list resnext");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            "resnext_50_32x4d     25028904\n"
            "resnext_101_32x4d    44177704\n"
            "resnext_101_32x8d    88791336\n"
            "resnext_101_32x16d   194026792\n"
            "resnext_101_32x32d   468530472\n"
            "resnext_101_64x4d    83455272\n"
            "resnext_14_8x4d      5985064\n");
}

TEST(Cli, SummaryTotalsParametersAndMacs) {
  CliResult r = lucid("summary resnext_50_32x4d");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("layer1.0.conv2                   Conv2d             1x128x56x56"));
  EXPECT_THAT(r.out, HasSubstr("total: 25028904 parameters, 4230479872 MACs"));
  CliResult gray = lucid("summary resnext_50_32x4d --input 2x1x193x257 --num-classes 10");
  EXPECT_EQ(gray.code, 0);
  EXPECT_THAT(gray.out, HasSubstr("fc                               Linear             2x10"));
  expect_error(lucid("summary resnext_50_32x4d --input 1x3x224"), 2, "--input must be NxCxHxW");
}

TEST(Cli, ForwardWritesLogitsAndFeatures) {
  Files f;
  CliResult r = lucid(forward_args(f, "resnext_50_32x4d", "--features"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = io::SafetensorsFile::open(tmp_dir() / "out.safetensors");
  EXPECT_EQ(out.entry("logits").shape, (Shape{1, 1000}));
  EXPECT_EQ(out.entry("stem").shape, (Shape{1, 64, 32, 32}));
  EXPECT_EQ(out.entry("layer4").shape, (Shape{1, 2048, 2, 2}));
}

TEST(Cli, ForwardWithAnotherClassCountKeepsTheBackbone) {
  Files f;
  CliResult r = lucid(forward_args(f, "resnext_50_32x4d", "--num-classes 10 --features"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("has 1000 classes; using a new 10-class head"));
  auto out = io::SafetensorsFile::open(tmp_dir() / "out.safetensors");
  EXPECT_EQ(out.entry("logits").shape, (Shape{1, 10}));
}

TEST(Cli, UnknownModelSuggestsNames) {
  Files f;
  expect_error(lucid(forward_args(f, "resnext101_32x8d")), 1, "did you mean: resnext_101_32x8d");
  expect_error(lucid("summary resnet50"), 1, "did you mean: resnet_50");
}

TEST(Cli, WeightsOfAnotherVariantNameTheFirstMismatch) {
  Files f;
  expect_error(lucid(forward_args(f, "resnext_101_32x8d")), 1,
               "shape mismatch for layer1.0.conv1.weight: source has 128x64x1x1, model has 256x64x1x1");
}

TEST(Cli, InputWithTheWrongChannelCount) {
  Files f;
  expect_error(lucid(forward_args(f, "resnext_50_32x4d", "--in-channels 1")), 1, "shape mismatch for conv1.weight");
  io::save_safetensors(f.input, {{"input", Tensor::zeros({1, 4, 32, 32})}});
  expect_error(lucid(forward_args(f, "resnext_50_32x4d")), 1, "(N, 3, H, W), got 1x4x32x32");
  expect_error(lucid(forward_args(f, "resnext_50_32x4d", "--eager")), 1, "expects input (N, 3, H, W), got 1x4x32x32");
}

TEST(Cli, BrokenWeightFiles) {
  Files f;
  std::string bytes = read_file(f.weights);
  auto write = [&](const std::string& name, const std::string& content) {
    fs::path p = tmp_dir() / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  };
  auto run_with = [&](const std::string& weights) {
    return lucid("forward --model resnext_50_32x4d --weights " + weights + " --input " + f.input.string() +
                 " --output " + (tmp_dir() / "never.safetensors").string());
  };
  CliResult truncated = run_with(write("truncated.safetensors", bytes.substr(0, bytes.size() / 2)));
  EXPECT_EQ(truncated.code, 1);
  EXPECT_THAT(truncated.err, HasSubstr("truncated.safetensors"));
  CliResult garbage = run_with(write("garbage.safetensors", std::string(8, '\x10') + "not json at all"));
  EXPECT_EQ(garbage.code, 1);
  EXPECT_THAT(garbage.err, HasSubstr("garbage.safetensors"));
  std::string header = R"({"conv1.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8000000]}})";
  std::string outside(8, '\0');
  for (int i = 0; i < 8; ++i) outside[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  CliResult out_of_file = run_with(write("outside.safetensors", outside + header + std::string(8, '\0')));
  EXPECT_EQ(out_of_file.code, 1);
  EXPECT_THAT(out_of_file.err, HasSubstr("conv1.weight"));
  expect_error(run_with((tmp_dir() / "no_such_file.safetensors").string()), 1, "no_such_file.safetensors");
  EXPECT_FALSE(fs::exists(tmp_dir() / "never.safetensors"));
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(lucid("").code, 2);
  EXPECT_EQ(lucid("forward --model resnext_50_32x4d").code, 2);
  EXPECT_EQ(lucid("frobnicate").code, 2);
  EXPECT_EQ(lucid("summary resnext_50_32x4d --num-classes 0").code, 2);
  expect_error(lucid("list nothing_like_this"), 2, "no model matches 'nothing_like_this'");
}

}  // namespace
}  // namespace lucid
