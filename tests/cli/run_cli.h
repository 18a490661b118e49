// Runs the `lucid` binary for the CLI tests. ctest runs tests in parallel processes, so each
// process works in a folder of its own.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lucid::testing {

struct CliResult {
  int code;
  std::string out, err;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// LUCID_TEST_TMP/<name>-<pid>, created on first use.
inline std::filesystem::path process_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(LUCID_TEST_TMP) / (name + "-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline CliResult run_cli(const std::string& args) {
  std::filesystem::path dir = process_dir("cli-output");
  std::filesystem::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  int status = std::system((std::string(LUCID_CLI) + " " + args + " >" + out.string() + " 2>" + err.string()).c_str());
  EXPECT_TRUE(WIFEXITED(status)) << "killed by a signal: " << args;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// A failed command: exit code `code` and one line on stderr that contains `text`.
inline void expect_error(const CliResult& r, int code, const std::string& text) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr(text));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

}  // namespace lucid::testing
