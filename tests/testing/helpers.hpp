// Shared by the `bulkhead test` tests: scratch directories, files, and the real binary with its output.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bulkhead_testing_test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh directory private to the running test.
inline fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  const fs::path dir =
      fs::temp_directory_path() / ("bulkhead-testing-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `[ENV] bulkhead ARGS` through the shell in `cwd` (ARGS quoted by the caller where needed).
inline Outcome bulkhead(const std::string& args, const fs::path& cwd = fs::current_path(),
                        const std::string& env = "") {
  static int n = 0;
  const fs::path dir = fs::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++n);
  const fs::path out = dir / ("bh-out-" + tag);
  const fs::path err = dir / ("bh-err-" + tag);
  const std::string cmd = "cd '" + cwd.string() + "' && " + env + " " + BULKHEAD_BIN + " " + args + " >" +
                          out.string() + " 2>" + err.string() + " </dev/null";
  const int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  o.out = slurp(out);
  o.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return o;
}

inline std::string firmware_dir() {
  return FIRMWARE_DIR;
}
inline std::string bundled_suite() {
  return std::string(SOURCE_DIR) + "/firmware_samples/suite.toml";
}

}  // namespace bulkhead_testing_test
