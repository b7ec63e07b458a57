#include "qemu.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace bulkhead::bench {

namespace {

std::optional<std::filesystem::path> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string dirs = path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<QemuCommand> qemu_for(emu::CpuProfile profile) {
  // -nographic with no serial and no monitor: the module's console reaches stdout through semihosting only.
  const std::vector<std::string> common = {
      "-nographic", "-monitor", "none", "-serial", "none", "-semihosting-config", "enable=on,target=native"};
  QemuCommand cmd;
  std::string binary;
  switch (profile) {
    case emu::CpuProfile::CortexM4:
      binary = "qemu-system-arm";
      cmd.machine = "mps2-an386";
      cmd.options = {"-M", "mps2-an386"};
      break;
    case emu::CpuProfile::Rv32imac:
      binary = "qemu-system-riscv32";
      cmd.machine = "virt";
      cmd.options = {"-M", "virt", "-bios", "none"};
      break;
    case emu::CpuProfile::CortexM33:
      return std::nullopt;  // no bare-metal image for the AN505's TrustZone start-up (docs/performance.md)
  }
  const auto found = find_in_path(binary);
  if (!found) return std::nullopt;
  cmd.binary = *found;
  cmd.options.insert(cmd.options.end(), common.begin(), common.end());
  return cmd;
}

ProcessOutcome run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  ProcessOutcome out;
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  const auto deadline = start + timeout;
  bool killed = false;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);  // only the child started here
      killed = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.exit_status = (!killed && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return out;
}

ProcessOutcome run_qemu(const QemuCommand& qemu, const std::filesystem::path& image,
                        std::chrono::seconds timeout) {
  std::vector<std::string> argv = {qemu.binary.string()};
  argv.insert(argv.end(), qemu.options.begin(), qemu.options.end());
  argv.push_back("-kernel");
  argv.push_back(image.string());
  ProcessOutcome out = run_process(argv, timeout);
  if (out.exit_status != 0)
    throw std::runtime_error(qemu.binary.filename().string() + " " + image.string() + ": exit status " +
                             std::to_string(out.exit_status) + ", output: " + out.output);
  return out;
}

}  // namespace bulkhead::bench
