// Runs a short program with Debian's /usr/bin/python3 (numpy, PIL, torch, torchvision) to get a
// data test's expected values at test time. The program gets the test's folder as argv[1].
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "data/pil_reference.h"

namespace lucid::data::pil_test {

inline ::testing::AssertionResult run_python(const fs::path& dir, const std::string& code, std::string* out = nullptr) {
  fs::path script = dir / "reference.py", stdout_path = dir / "reference.out", log = dir / "reference.log";
  write_bytes(script, code);
  std::string command = "/usr/bin/python3 '" + script.string() + "' '" + dir.string() + "' > '" +
                        stdout_path.string() + "' 2> '" + log.string() + "'";
  if (std::system(command.c_str()) != 0)
    return ::testing::AssertionFailure() << command << " failed:\n" << read_text(log);
  if (out) *out = read_text(stdout_path);
  return ::testing::AssertionSuccess();
}

}  // namespace lucid::data::pil_test
