// `lucid classify` as a user meets it: a folder with good and broken files, JSON output,
// a checkpoint that disagrees with --model, usage errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lucid/io/safetensors.h"
#include "lucid/models/resnext.h"
#include "cli/run_cli.h"

namespace lucid {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kPhotos = "/usr/lib/python3/dist-packages/skimage/data";

using Result = testing::CliResult;

fs::path dir() { return testing::process_dir("classify"); }

Result lucid(const std::string& args) { return testing::run_cli(args); }

// A small 1000-class ResNeXt in lucid's key naming, and a folder of good and broken images.
struct Fixture {
  fs::path weights = dir() / "tiny.safetensors";
  fs::path photos = dir() / "photos";
  Fixture() {
    manual_seed(5);
    models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 1000);
    io::save_safetensors(weights.string(), model.state_dict());
    fs::create_directories(photos / "nested");
    fs::copy_file(kPhotos / "rocket.jpg", photos / "rocket.jpg", fs::copy_options::overwrite_existing);
    fs::copy_file(kPhotos / "camera.png", photos / "nested" / "camera.png", fs::copy_options::overwrite_existing);
    fs::copy_file(kPhotos / "truncated.jpg", photos / "truncated.jpg", fs::copy_options::overwrite_existing);
    std::ofstream(photos / "empty.png").close();
    std::ofstream(photos / "notes.jpg") << "not an image\n";
    std::ofstream(photos / "readme.txt") << "ignored: not an image name\n";
  }
};

TEST(ClassifyCli, ReportsAndSkipsBadFilesThenFails) {
  Fixture f;
  Result r = lucid("classify --weights " + f.weights.string() + " --json --topk 3 " + f.photos.string());
  EXPECT_EQ(r.code, 1);
  auto results = nlohmann::json::parse(r.out);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_THAT(results[0]["path"].get<std::string>(), HasSubstr("nested/camera.png"));
  EXPECT_THAT(results[1]["path"].get<std::string>(), HasSubstr("rocket.jpg"));
  for (const auto& entry : results) {
    ASSERT_EQ(entry["top"].size(), 3u);
    EXPECT_GE(entry["top"][0]["prob"].get<double>(), entry["top"][1]["prob"].get<double>());
    // The logits the probabilities are the softmax of: their ratio is exp of the logits' difference.
    const auto& top = entry["top"];
    EXPECT_NEAR(top[0]["prob"].get<double>() / top[1]["prob"].get<double>(),
                std::exp(top[0]["logit"].get<double>() - top[1]["logit"].get<double>()), 1e-4);
    EXPECT_FALSE(entry["top"][0]["label"].get<std::string>().empty());
  }
  for (const char* bad : {"truncated.jpg", "empty.png", "notes.jpg"})
    EXPECT_THAT(r.err, HasSubstr(std::string(bad) + ": ")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("3 of 5 files could not be classified"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("readme.txt")));
}

TEST(ClassifyCli, TextOutputAndAGoodRunExitsZero) {
  Fixture f;
  Result r = lucid("classify --weights " + f.weights.string() + " --preset timm_gluon " +
                   (f.photos / "rocket.jpg").string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("rocket.jpg\n  1. "));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6);
}

TEST(ClassifyCli, ModelThatDisagreesWithTheCheckpoint) {
  Fixture f;
  Result r = lucid("classify --weights " + f.weights.string() + " --model resnext_50_32x4d " +
                   (f.photos / "rocket.jpg").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--model resnext_50_32x4d does not match"));
}

TEST(ClassifyCli, UsageErrors) {
  Fixture f;
  EXPECT_EQ(lucid("classify --weights " + f.weights.string() + " --preset tv_v9 x.jpg").code, 2);
  EXPECT_EQ(lucid("classify --weights " + f.weights.string()).code, 2);
  EXPECT_EQ(lucid("classify --weights " + f.weights.string() + " --precision fp16 x.jpg").code, 2);
  Result eager_bf16 = lucid("classify --weights " + f.weights.string() + " --eager --precision bf16 x.jpg");
  EXPECT_EQ(eager_bf16.code, 2);
  EXPECT_THAT(eager_bf16.err, HasSubstr("--precision bf16 runs on the engine"));
  Result none = lucid("classify --weights " + f.weights.string() + " " + (dir() / "no_such_dir").string());
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("no_such_dir"));
}

}  // namespace
}  // namespace lucid
