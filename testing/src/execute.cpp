// Running one case. Every case gets its own engine (System or Kernel), so cases share nothing and can run
// on any thread; the results depend only on the case.
#include "bulkhead/testing/execute.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/elf.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::testing {

const PartitionRun* CaseRun::partition(const std::string& name) const {
  for (const auto& p : partitions)
    if (p.name == name) return &p;
  return nullptr;
}

namespace {

namespace fs = std::filesystem;

// Until the kernel records fault events for every policy, a kill shows only in the result.
void normalise_faults(PartitionRun& p) {
  if (p.faults.empty() && p.result.outcome == kernel_shim::Outcome::Faulted && p.result.fault) {
    kernel_shim::FaultEvent e;
    e.fault = *p.result.fault;
    e.report = p.result.report;
    e.action = layout::FaultAction::Kill;
    e.outcome = "killed";
    p.faults.push_back(std::move(e));
  }
}

std::shared_ptr<const loader::Image> try_load(const fs::path& path) {
  try {
    return std::make_shared<const loader::Image>(loader::load_elf(path));
  } catch (const std::exception&) {
    return nullptr;
  }
}

void run_layout(const Case& c, CaseRun& run) {
  layout::ParseOptions po;
  po.elf_dir = c.elf_dir;
  const layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(c.layout, po));
  if (!checked.ok()) {
    std::string msg = c.layout.string() + ": the layout does not check (bulkhead check):";
    for (const auto& d : checked.diagnostics)
      if (d.severity == layout::Severity::Error) msg += "\n  " + d.message;
    throw std::runtime_error(msg);
  }
  std::map<std::string, std::string, std::less<>> output;
  kernel_shim::System system(checked, [&](std::string_view p, std::string_view text) {
    auto it = output.find(p);
    if (it == output.end()) it = output.emplace(std::string(p), std::string()).first;
    it->second += text;
  });
  kernel_shim::SystemOptions options;
  options.slice = c.slice;
  options.max_instructions = c.max_instructions;
  options.input = c.input;
  for (auto& r : system.run(options)) {
    PartitionRun p;
    p.name = r.name;
    p.result = std::move(r.result);
    p.faults = std::move(r.faults);
    p.output = output[p.name];
    for (const auto& lp : checked.layout.partitions)
      if (lp.name == p.name && !lp.elf.empty()) p.image = try_load(lp.elf_path);
    normalise_faults(p);
    run.instructions += p.result.instructions;
    run.partitions.push_back(std::move(p));
  }
}

void run_elf(const Case& c, CaseRun& run) {
  auto image = std::make_shared<const loader::Image>(loader::load_elf(c.elf));
  const emu::CpuProfile profile = c.cpu.value_or(emu::default_profile(image->arch));
  PartitionRun p;
  p.name = c.module_name;
  kernel_shim::Kernel kernel(*image, profile, [&](std::string_view text) { p.output += text; });
  kernel.set_source_lines(loader::SourceLines::open(c.elf));
  if (c.protect) kernel.protect_image();
  p.result = kernel.run(c.max_instructions);
  p.image = image;
  normalise_faults(p);
  run.instructions = p.result.instructions;
  run.partitions.push_back(std::move(p));
}

std::atomic<int> g_abandoned{0};

std::string format_duration(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

CaseRun execute(const Case& c) {
  const auto start = std::chrono::steady_clock::now();
  CaseRun run;
  try {
    if (c.is_layout())
      run_layout(c, run);
    else
      run_elf(c, run);
    run.status = RunStatus::Ran;
  } catch (const std::exception& e) {
    run = CaseRun{};
    run.status = RunStatus::Error;
    run.error = e.what();
  }
  run.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return run;
}

int abandoned() {
  return g_abandoned.load();
}

CaseRun execute_with_cap(const Case& c) {
  struct Shared {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool abandoned = false;
    CaseRun run;
    Case c;
  };
  auto s = std::make_shared<Shared>();
  s->c = c;
  std::thread worker([s] {
    CaseRun r = execute(s->c);
    std::lock_guard lock(s->m);
    s->run = std::move(r);
    s->done = true;
    if (s->abandoned) --g_abandoned;
    s->cv.notify_all();
  });
  std::unique_lock lock(s->m);
  if (s->cv.wait_for(lock, c.timeout, [&] { return s->done; })) {
    lock.unlock();
    worker.join();
    return std::move(s->run);
  }
  s->abandoned = true;
  ++g_abandoned;
  lock.unlock();
  worker.detach();
  CaseRun r;
  r.status = RunStatus::Timeout;
  r.error = "still running after the wall-clock cap of " + format_duration(c.timeout) +
            " (raise `timeout`, or lower `max_instructions`)";
  r.elapsed = c.timeout;
  return r;
}

}  // namespace bulkhead::testing
