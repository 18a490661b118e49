// Runs scripts/pil_reference.py (PIL 9.4 / torchvision 0.14 through Debian's /usr/bin/python3) and
// reads what it wrote, for the image tests. Every test writes into a folder of its own, because
// ctest runs the tests as separate, possibly parallel, processes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lucid/data/image.h"

namespace lucid::data::pil_test {

namespace fs = std::filesystem;

// The photographs of Debian's python3-skimage (scripts/install-deps.sh installs it).
inline fs::path photo(const std::string& name) {
  return fs::path("/usr/lib/python3/dist-packages/skimage/data") / name;
}

// A fresh, empty folder named after the running test.
inline fs::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  fs::path dir = fs::path(LUCID_TEST_TMP) / "data" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Reference {
  fs::path dir;
  nlohmann::json manifest;

  std::vector<uint8_t> bytes(const std::string& file) const {
    std::string text = read_text(dir / file);
    return {text.begin(), text.end()};
  }
  std::vector<float> floats(const std::string& file) const {
    std::string text = read_text(dir / file);
    std::vector<float> values(text.size() / sizeof(float));
    std::memcpy(values.data(), text.data(), values.size() * sizeof(float));
    return values;
  }
};

// pil_reference.py OUT ARGS; on failure the assertion carries the command and its output.
inline ::testing::AssertionResult run_reference(const fs::path& out, const std::string& args, Reference& ref) {
  fs::path script = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "pil_reference.py";
  fs::create_directories(out);
  fs::path log = out / "pil_reference.log";
  std::string command = "/usr/bin/python3 '" + script.string() + "' '" + out.string() + "' " + args + " > '" +
                        log.string() + "' 2>&1";
  if (std::system(command.c_str()) != 0)
    return ::testing::AssertionFailure() << command << " failed:\n" << read_text(log);
  ref.dir = out;
  ref.manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  return ::testing::AssertionSuccess();
}

// Byte-for-byte equality of an image with PIL's (H, W, 3) bytes, explaining the first difference.
inline ::testing::AssertionResult same_pixels(const Image& got, const std::vector<uint8_t>& want, int64_t width,
                                              int64_t height) {
  if (got.width != width || got.height != height)
    return ::testing::AssertionFailure() << "size " << got.width << "x" << got.height << ", PIL's " << width << "x"
                                         << height;
  if (got.pixels.size() != want.size()) return ::testing::AssertionFailure() << "byte count " << got.pixels.size()
                                                                              << ", PIL's " << want.size();
  size_t differing = 0, first = 0;
  int worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (got.pixels[i] != want[i]) {
      if (differing++ == 0) first = i;
      worst = std::max(worst, std::abs(int(got.pixels[i]) - int(want[i])));
    }
  if (differing == 0) return ::testing::AssertionSuccess();
  size_t pixel = first / 3;
  return ::testing::AssertionFailure() << differing << " of " << want.size() << " bytes differ (max by " << worst
                                       << "); first at x=" << pixel % width << " y=" << pixel / width
                                       << " channel " << first % 3 << ": " << int(got.pixels[first]) << ", PIL "
                                       << int(want[first]);
}

}  // namespace lucid::data::pil_test
