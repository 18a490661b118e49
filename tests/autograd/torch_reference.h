// Runs scripts/train_reference.py (PyTorch through Debian's /usr/bin/python3) on inputs a test
// writes, and reads back what torch computed in float64. Every test writes into a folder of its
// own, because ctest runs the tests as separate, possibly parallel, processes.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "autograd/gradcheck.h"
#include "lucid/tensor.h"

namespace lucid::testing {

namespace fs = std::filesystem;

// "x0", "x1", ...: the script's names for per-step tensors (appends: gcc 12 warns falsely on +).
inline std::string numbered(const char* base, int i) {
  std::string name = base;
  name.append(std::to_string(i));
  return name;
}

class TorchReference {
 public:
  // A fresh, empty folder named after the running test.
  TorchReference() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = fs::path(LUCID_TEST_TMP) / "train_reference" / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // An input for the script: F32 as name.f32, I64 as name.i64 (raw little-endian).
  void write(const std::string& name, const Tensor& t) {
    const char* ext = t.dtype() == DType::I64 ? ".i64" : ".f32";
    std::ofstream(dir_ / (name + ext), std::ios::binary)
        .write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  }

  // Writes request.json and runs the script; on failure the assertion carries its output.
  ::testing::AssertionResult run(const nlohmann::json& request) {
    std::ofstream(dir_ / "request.json") << request.dump();
    const fs::path script =
        fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "train_reference.py";
    const fs::path log = dir_ / "train_reference.log";
    const std::string command =
        "/usr/bin/python3 '" + script.string() + "' '" + dir_.string() + "' > '" + log.string() + "' 2>&1";
    if (std::system(command.c_str()) != 0)
      return ::testing::AssertionFailure() << command << " failed:\n" << read_text(log);
    result_ = nlohmann::json::parse(read_text(dir_ / "result.json"));
    return ::testing::AssertionSuccess();
  }

  // Whether got equals torch's result `name` within tolerance, relative to its largest value.
  ::testing::AssertionResult matches(const std::string& name, const Tensor& got, double tolerance = 1e-5) const {
    const Tensor want = result(name);
    if (got.shape() != want.shape())
      return ::testing::AssertionFailure() << name << ": shape " << to_string(got.shape()) << ", torch's "
                                           << to_string(want.shape());
    const double error = relative_error(got, want);
    if (error < tolerance) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << name << ": relative error " << error << " against torch";
  }

  // A result as an F64 tensor of the shape torch gave it.
  Tensor result(const std::string& name) const {
    Shape shape = result_.at(name).get<Shape>();
    Tensor t = Tensor::empty(shape, DType::F64);
    std::ifstream in(dir_ / (name + ".f64"), std::ios::binary);
    if (!in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes())))
      ADD_FAILURE() << "torch's " << name << " is shorter than " << t.nbytes() << " bytes";
    return t;
  }

 private:
  static std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
  nlohmann::json result_;
};

}  // namespace lucid::testing
