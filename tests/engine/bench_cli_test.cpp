// `lucid bench` as a user meets it: JSON keys that agree with each other, usage errors.
#include <gtest/gtest.h>

#include "cli/run_cli.h"
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

namespace lucid {
namespace {

namespace fs = std::filesystem;

using BenchRun = testing::CliResult;

BenchRun bench(const std::string& args) { return testing::run_cli("bench " + args); }

TEST(EngineBench, JsonReportsLatencyThroughputAndPercentOfPeak) {
  const BenchRun r = bench("--model resnet_18 --num-classes 10 --batch 2 --input-size 32 --iterations 3 --warmup 1 "
                      "--threads 1 --peak-gflops 50 --eager --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const double median = j.at("latency_ms_median"), p90 = j.at("latency_ms_p90");
  EXPECT_GT(median, 0);
  EXPECT_GE(p90, median);
  EXPECT_NEAR(j.at("images_per_s").get<double>(), 2 / (median / 1e3), 1e-6 * j.at("images_per_s").get<double>());
  const double gflops = j.at("gflops");
  EXPECT_NEAR(gflops, 2.0 * j.at("macs").get<double>() / (median / 1e3) / 1e9, 1e-6 * gflops);
  EXPECT_NEAR(j.at("percent_of_peak").get<double>(), 100 * gflops / 50, 1e-6 * gflops);
  EXPECT_EQ(j.at("input"), "2x3x32x32");
  EXPECT_EQ(j.at("threads"), 1);
  EXPECT_TRUE(j.contains("eager_latency_ms_median"));
  EXPECT_TRUE(j.contains("reorders"));
}

TEST(EngineBench, PeakAloneMeasuresTheFmaPeak) {
  const BenchRun r = bench("--peak --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j.at("peak_gflops").get<double>(), 1.0);
  EXPECT_TRUE(j.at("peak_isa") == "avx2" || j.at("peak_isa") == "avx512");
  EXPECT_FALSE(j.contains("latency_ms_median"));
}

// --serve, as bench/compare drives it: a ready line after the warm-up, then one line of times per request.
TEST(EngineBench, ServeAnswersEachCountWithThatManyRuns) {
  const fs::path requests = testing::process_dir("bench-serve") / "requests.txt";
  std::ofstream(requests) << "2\n1\n";
  const std::string model = "--model resnet_18 --num-classes 10 --input-size 32 --threads 1 --warmup 1 --serve";
  BenchRun r = bench(model + " < " + requests.string());
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> replies;
  while (std::getline(lines, line)) replies.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(replies.size(), 3u) << r.out;
  EXPECT_EQ(replies[0].at("ready"), true);
  EXPECT_EQ(replies[1].at("runs_ms").size(), 2u);
  EXPECT_EQ(replies[2].at("runs_ms").size(), 1u);
  for (const auto& ms : replies[1].at("runs_ms")) EXPECT_GT(ms.get<double>(), 0);

  std::ofstream(requests) << "1\nsoon\n";
  r = bench(model + " < " + requests.string());
  testing::expect_error(r, 2, "expected a positive count of runs per line, got 'soon'");
  r = bench("--model resnet_18 --serve --eager");
  testing::expect_error(r, 2, "bench --serve needs --model and no --eager");
}

TEST(EngineBench, ProfileTimesEveryStepAndSumsThemPerImplementation) {
  const std::string model = "--model resnet_18 --num-classes 10 --input-size 32 --iterations 2 --warmup 0 --threads 1";
  BenchRun r = bench(model + " --profile --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("profile").size(), j.at("primitives").get<size_t>());
  int64_t macs = 0;
  for (const auto& step : j.at("profile")) {
    EXPECT_GE(step.at("ms").get<double>(), 0.0);
    EXPECT_FALSE(step.at("impl").get<std::string>().empty());
    macs += step.at("macs").get<int64_t>();
  }
  EXPECT_EQ(macs, j.at("macs").get<int64_t>());
  // The stem comes first, after a reorder of the input where its kernel wants another layout
  // (AVX-512 machines: nChw16c).
  const auto& first = j.at("profile")[0];
  if (first.at("kind") == "reorder:input") {
    EXPECT_EQ(first.at("name"), "conv1 <- input");
    EXPECT_EQ(j.at("profile")[1].at("name"), "conv1");
  } else {
    EXPECT_EQ(first.at("name"), "conv1");
  }

  r = bench(model + " --profile");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("profile: each step timed on its own, median of 2 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("by implementation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fc "), std::string::npos) << r.out;

  r = bench(model + " --profile --serve");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bench --serve needs --model and no --eager or --profile"), std::string::npos) << r.err;
  r = bench("--peak --profile");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bench --profile needs --model"), std::string::npos) << r.err;
}

TEST(EngineBench, UsageAndModelErrorsAreOneLine) {
  BenchRun r = bench("");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bench needs --model, --peak or both"), std::string::npos) << r.err;
  r = bench("--model resnext_50_32x4d --precision fp8");
  EXPECT_EQ(r.code, 2);
  r = bench("--model resnext_51");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown model"), std::string::npos) << r.err;
  // Numbers out of range name the rule. 100000 threads crashed inside OpenMP before the cap.
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--threads 100000", "--threads: must be 0 (all cores) to 1024, got 100000"},
           {"--batch 0", "--batch: must be positive, got 0"},
           {"--warmup -1", "--warmup: must be 0 or more, got -1"},
           {"--iterations many", "--iterations: 'many' is not a number"}}) {
    r = bench("--model resnet_18 " + args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace lucid
