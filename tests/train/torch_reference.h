// Runs scripts/optim_reference.py (PyTorch 1.13 through Debian's /usr/bin/python3) on cases the
// test builds, and compares tensors with its answers. Each test writes into a folder of its own:
// ctest runs the tests as separate, possibly parallel, processes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::train::torch_test {

namespace fs = std::filesystem;

// A fresh, empty folder named after the running test.
inline fs::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(name.begin(), name.end(), '/', '_');
  fs::path dir = fs::path(LUCID_TEST_TMP) / "train" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// optim_reference.py on {"cases": cases}: its "results", one per case.
inline ::testing::AssertionResult run_torch(const nlohmann::json& cases, nlohmann::json& results) {
  fs::path script = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "optim_reference.py";
  fs::path dir = test_dir();
  std::ofstream(dir / "in.json") << nlohmann::json{{"cases", cases}}.dump();
  std::string command = "/usr/bin/python3 '" + script.string() + "' '" + (dir / "in.json").string() + "' '" +
                        (dir / "out.json").string() + "' > '" + (dir / "log.txt").string() + "' 2>&1";
  if (std::system(command.c_str()) != 0)
    return ::testing::AssertionFailure() << command << " failed:\n" << read_text(dir / "log.txt");
  results = nlohmann::json::parse(read_text(dir / "out.json"))["results"];
  return ::testing::AssertionSuccess();
}

inline std::vector<float> values(const Tensor& t) { return t.to_vector(); }

// max |got - want| <= rel * max |want|: relative to the tensor's scale, so that elements which
// cancel to near zero (p - lr d) do not turn one rounding of their operands into a large ratio.
// Explains the worst element.
inline ::testing::AssertionResult close(const std::vector<float>& got, const nlohmann::json& want, double rel) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << got.size() << " values, torch has " << want.size();
  double scale = 0, worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double w = want[i].get<double>(), diff = std::abs(got[i] - w);
    if (std::isnan(diff)) diff = INFINITY;
    scale = std::max(scale, std::abs(w));
    if (diff > worst) {
      worst = diff;
      at = i;
    }
  }
  if (worst <= rel * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "difference " << worst << " = " << worst / scale << " of the largest value "
                                       << scale << ", at " << at << ": " << got[at] << ", torch "
                                       << want[at].get<double>();
}

}  // namespace lucid::train::torch_test
