// Runs the real `bulkhead` binary with its output captured (the CLI and end-to-end tests).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bulkhead_test {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;  // exit status; the shell reports a crash as 128 + signal
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A directory private to the running test, so that parallel CTest runs do not share files.
inline fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const fs::path dir =
      fs::temp_directory_path() / ("bulkhead-test-" + std::to_string(::getpid()) + "-" + name);
  fs::create_directories(dir);
  return dir;
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// Runs `bulkhead ARGS` through the shell (ARGS must be quoted by the caller where needed), with standard
// input read from `stdin_path`.
inline Outcome bulkhead(const std::string& args, const std::string& stdin_path = "/dev/null") {
  const fs::path dir = scratch_dir();
  const std::string cmd = std::string(BULKHEAD_BIN) + " " + args + " >" + (dir / "out").string() + " 2>" +
                          (dir / "err").string() + " <" + stdin_path;
  const int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  o.out = slurp(dir / "out");
  o.err = slurp(dir / "err");
  return o;
}

// Writes `dump` to a scratch file and runs `bulkhead decide FILE EXTRA`.
inline Outcome decide(const std::string& dump, const std::string& extra = "") {
  const fs::path file = scratch_dir() / "dump.json";
  write_file(file, dump);
  return bulkhead("decide " + file.string() + (extra.empty() ? "" : " " + extra));
}

#ifdef FIRMWARE_DIR
// A sample module built for one CPU profile: FIRMWARE_DIR/NAME-PROFILE.elf.
inline std::string module(const std::string& name, const std::string& profile) {
  return std::string(FIRMWARE_DIR) + "/" + name + "-" + profile + ".elf";
}
#endif

}  // namespace bulkhead_test
