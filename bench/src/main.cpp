// bulkhead-bench: guest MIPS of the bench_mix workload in four engine modes (raw Unicorn, checked with a
// realistic layout, checked with a worst-case layout, naive per-access hooks) and under QEMU with its MPU/PMP
// on, interleaved in rounds and reported as medians; then the cost of a context switch. docs/performance.md
// explains the method and holds the figures. Never a timed test: `--quick` is only a smoke test of the
// harness (every mode runs and prints the same checksum).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bulkhead/emu/engine.hpp"
#include "layouts.hpp"
#include "qemu.hpp"
#include "switch_bench.hpp"
#include "system_bench.hpp"
#include "workload.hpp"

namespace fs = std::filesystem;
using bulkhead::emu::BusMode;
using bulkhead::emu::CpuProfile;
using bulkhead::emu::EngineOptions;

namespace bulkhead::bench {
namespace {

struct Options {
  bool quick = false;
  bool json = false;
  bool qemu = true;
  int rounds = 5;
  std::vector<std::string> profiles = {"cortex-m4", "cortex-m33", "rv32imac"};
  fs::path firmware_dir = BULKHEAD_BENCH_FIRMWARE_DIR;
  fs::path qemu_dir = BULKHEAD_BENCH_QEMU_DIR;
  std::uint64_t switches = 20000;
  double slow_seconds = 20;  // a mode whose run takes longer is run in the first round only
  // What to measure: raw realistic worst naive qemu switch (all by default; fewer for profiling one).
  std::vector<std::string> modes = {"raw", "realistic", "worst", "naive", "qemu", "switch", "system"};
  bool wants(const std::string& m) const { return std::find(modes.begin(), modes.end(), m) != modes.end(); }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One column of the table: a way of running the workload, its times over the rounds and its checksum.
struct Column {
  std::string key;          // "raw", "realistic", "worst", "naive", "qemu_realistic", "qemu_worst"
  std::string description;  // for the table
  std::vector<double> seconds;
  std::string checksum;
  std::string error;
  double mips = 0;
};

struct SwitchRow {
  int regions = 0;
  double slice_us = 0, reprogram_us = 0, swap_us = 0, program_only_us = 0, context_only_us = 0;
  std::string error;
};

struct SystemRow {
  std::uint64_t slice = 0;  // 0: one partition's turn never ends by the slice (the baseline)
  double mips = 0;
  double us_per_switch = 0;  // over the baseline
  std::uint64_t switches = 0;
  std::string error;
};

struct ProfileReport {
  CpuProfile profile{};
  std::string workload;
  std::uint64_t instructions = 0;
  std::string checksum;
  std::vector<Column> columns;
  std::vector<double> qemu_empty_seconds;
  std::string qemu_machine;
  std::vector<SwitchRow> switches;
  std::vector<SystemRow> system;
  std::string error;  // the profile could not be measured at all
};

Column* find(ProfileReport& r, const std::string& key) {
  for (auto& c : r.columns)
    if (c.key == key) return &c;
  return nullptr;
}

void record(Column& c, const std::string& console, double seconds, const std::string& reference) {
  c.seconds.push_back(seconds);
  const std::string sum = checksum_of(console);
  if (c.checksum.empty()) c.checksum = sum;
  if (sum != reference && c.error.empty())
    c.error = "checksum " + (sum.empty() ? std::string("missing") : sum) + " differs from " + reference;
}

ProfileReport measure(CpuProfile profile, const Options& opt) {
  ProfileReport rep;
  rep.profile = profile;
  const std::string name = std::string(emu::to_string(profile));
  rep.workload = opt.quick ? "bench_mix_short" : "bench_mix";
  const auto limit = std::chrono::seconds(opt.quick ? 60 : 600);

  const Module mix = load_module(opt.firmware_dir / (rep.workload + "-" + name + ".elf"));
  // The instruction count, and the reference checksum: unchecked with counting on (not timed).
  {
    const RunOutcome ref =
        run_to_exit(mix, profile, {.bus = BusMode::Unchecked, .count_instructions = true}, nullptr);
    rep.instructions = ref.instructions;
    rep.checksum = checksum_of(ref.console);
    if (rep.checksum.empty()) throw std::runtime_error(mix.image.path + " printed no checksum");
  }

  const auto realistic = make_unit(profile, realistic_layout(mix.placement, profile));
  const auto worst = make_unit(profile, worst_case_layout(mix.placement));
  struct EngineMode {
    std::string key, description;
    EngineOptions options;
    const ProtectionUnit* unit;
  };
  // Counting is off in every timed mode: it is a block hook of its own (docs/design.md), the same in each.
  const std::vector<EngineMode> modes = {
      {"raw", "raw Unicorn (unchecked)", {.bus = BusMode::Unchecked, .count_instructions = false}, nullptr},
      {"realistic",
       "checked, realistic 8 regions",
       {.bus = BusMode::Checked, .count_instructions = false},
       realistic.get()},
      {"worst",
       "checked, worst case (32 B regions in hot pages)",
       {.bus = BusMode::Checked, .count_instructions = false},
       worst.get()},
      {"naive",
       "naive (hook on every access)",
       {.bus = BusMode::Naive, .count_instructions = false},
       realistic.get()},
  };
  for (const auto& m : modes)
    if (opt.wants(m.key)) rep.columns.push_back({m.key, m.description, {}, {}, {}, 0});

  std::optional<QemuCommand> qemu;
  fs::path qemu_images[3];  // realistic, worst, empty
  if (opt.qemu && opt.wants("qemu")) qemu = qemu_for(profile);
  if (qemu) {
    const std::string length = opt.quick ? "short" : "full";
    qemu_images[0] = opt.qemu_dir / ("bench_mix-qemu-" + name + "-realistic-" + length + ".elf");
    qemu_images[1] = opt.qemu_dir / ("bench_mix-qemu-" + name + "-worst-" + length + ".elf");
    qemu_images[2] = opt.qemu_dir / ("bench_mix-qemu-" + name + "-empty.elf");
    if (!fs::exists(qemu_images[0]) || !fs::exists(qemu_images[1]) || !fs::exists(qemu_images[2])) {
      qemu.reset();
    } else {
      rep.qemu_machine = qemu->machine;
      rep.columns.push_back(
          {"qemu_realistic", "QEMU " + qemu->machine + ", realistic layout", {}, {}, {}, 0});
      rep.columns.push_back({"qemu_worst", "QEMU " + qemu->machine + ", worst-case layout", {}, {}, {}, 0});
    }
  }

  for (int round = 0; round < opt.rounds; ++round) {
    for (const auto& m : modes) {
      if (!opt.wants(m.key)) continue;
      Column& c = *find(rep, m.key);
      if (!c.error.empty()) continue;  // a mode that failed once is not retried
      if (!c.seconds.empty() && c.seconds.front() > opt.slow_seconds) continue;
      try {
        const RunOutcome out = run_to_exit(mix, profile, m.options, m.unit);
        record(c, out.console, out.seconds, rep.checksum);
      } catch (const std::exception& e) {
        c.error = e.what();
      }
    }
    if (qemu) {
      const char* keys[2] = {"qemu_realistic", "qemu_worst"};
      for (int i = 0; i < 2; ++i) {
        Column& c = *find(rep, keys[i]);
        if (!c.error.empty()) continue;
        if (!c.seconds.empty() && c.seconds.front() > opt.slow_seconds) continue;
        try {
          const ProcessOutcome out = run_qemu(*qemu, qemu_images[i], limit);
          record(c, out.output, out.seconds, rep.checksum);
        } catch (const std::exception& e) {
          c.error = e.what();
        }
      }
      try {
        rep.qemu_empty_seconds.push_back(run_qemu(*qemu, qemu_images[2], limit).seconds);
      } catch (const std::exception& e) {
        for (const char* k : keys) find(rep, k)->error = e.what();
      }
    }
  }

  const double startup = median(rep.qemu_empty_seconds);
  for (auto& c : rep.columns) {
    if (!c.error.empty() || c.seconds.empty()) continue;
    double t = median(c.seconds);
    if (c.key.rfind("qemu", 0) == 0) t -= startup;
    c.mips = t > 0 ? static_cast<double>(rep.instructions) / t / 1e6 : 0;
  }

  // Context switches between two bench_switch images, realistic layouts of 8 and of 16 regions each.
  const Module sa = load_module(opt.firmware_dir / ("bench_switch-" + name + ".elf"));
  const Module sb = load_module(opt.firmware_dir / ("bench_switch_b-" + name + ".elf"));
  for (int regions : {8, 16}) {
    if (!opt.wants("switch")) break;
    SwitchRow row;
    row.regions = regions;
    try {
      SwitchBench bench(profile, sa, sb, regions);
      std::vector<double> slice, reprogram, swap, program_only, context_only;
      for (int round = 0; round < opt.rounds; ++round) {
        slice.push_back(bench.time_slices(opt.switches));
        reprogram.push_back(bench.time_reprogram(opt.switches));
        swap.push_back(bench.time_swap(opt.switches));
        program_only.push_back(bench.time_program_only(opt.switches));
        context_only.push_back(bench.time_context_only(opt.switches));
      }
      row.program_only_us = median(program_only);
      row.context_only_us = median(context_only);
      row.slice_us = median(slice);
      // Paired: each round's switch figure over the same round's slice (the machine's speed drifts between
      // rounds more than a switch costs).
      std::vector<double> reprogram_over, swap_over;
      for (std::size_t r = 0; r < slice.size(); ++r) {
        reprogram_over.push_back(reprogram[r] - slice[r]);
        swap_over.push_back(swap[r] - slice[r]);
      }
      row.reprogram_us = median(reprogram_over);
      row.swap_us = median(swap_over);
    } catch (const std::exception& e) {
      row.error = e.what();
    }
    rep.switches.push_back(row);
  }

  // The kernel shim's scheduler: the same pair as a two-partition system, preempted every `slice`
  // instructions; the cost per switch is measured against one very long slice (a switch per 10M
  // instructions).
  if (opt.wants("system")) {
    const std::uint64_t n = opt.quick ? 2'000'000 : 20'000'000;
    try {
      std::vector<double> base, t1000, t100;
      std::uint64_t s1000 = 0, s100 = 0;
      for (int round = 0; round < opt.rounds; ++round) {
        base.push_back(time_system(profile, opt.firmware_dir, 10'000'000, n).seconds);
        SystemTiming a = time_system(profile, opt.firmware_dir, 1000, n);
        SystemTiming b = time_system(profile, opt.firmware_dir, 100, n);
        t1000.push_back(a.seconds);
        t100.push_back(b.seconds);
        s1000 = a.switches;
        s100 = b.switches;
      }
      const double b0 = median(base);
      rep.system.push_back({0, static_cast<double>(n) / b0 / 1e6, 0, 0, {}});
      for (auto [slice, times, switches] :
           {std::tuple{1000ull, &t1000, s1000}, std::tuple{100ull, &t100, s100}}) {
        const double t = median(*times);
        rep.system.push_back({slice,
                              static_cast<double>(n) / t / 1e6,
                              switches > 0 ? (t - b0) / static_cast<double>(switches) * 1e6 : 0,
                              switches,
                              {}});
      }
    } catch (const std::exception& e) {
      rep.system.push_back({0, 0, 0, 0, e.what()});
    }
  }
  return rep;
}

bool report_ok(const ProfileReport& r) {
  if (!r.error.empty()) return false;
  for (const auto& c : r.columns)
    if (!c.error.empty()) return false;
  for (const auto& s : r.switches)
    if (!s.error.empty()) return false;
  for (const auto& s : r.system)
    if (!s.error.empty()) return false;
  return true;
}

void print_table(const std::vector<ProfileReport>& reports, const Options& opt) {
  std::printf("bulkhead-bench%s: %d interleaved rounds, medians; guest MIPS = instructions / wall time\n",
              opt.quick ? " --quick" : "", opt.rounds);
  for (const auto& r : reports) {
    const std::string name(emu::to_string(r.profile));
    if (!r.error.empty()) {
      std::printf("\n%s: not measured: %s\n", name.c_str(), r.error.c_str());
      continue;
    }
    std::printf("\n%s: %s, %llu instructions, checksum %s\n", name.c_str(), r.workload.c_str(),
                static_cast<unsigned long long>(r.instructions), r.checksum.c_str());
    if (!r.qemu_empty_seconds.empty())
      std::printf("  (QEMU start-up, subtracted: %.3f s)\n", median(r.qemu_empty_seconds));
    const Column* raw = nullptr;
    const Column* naive = nullptr;
    for (const auto& c : r.columns) {
      if (c.key == "raw") raw = &c;
      if (c.key == "naive") naive = &c;
    }
    std::printf("  %-52s %9s %8s %9s %4s  %s\n", "mode", "MIPS", "x raw", "median s", "runs", "checksum");
    for (const auto& c : r.columns) {
      if (!c.error.empty()) {
        std::printf("  %-52s FAILED: %s\n", c.description.c_str(), c.error.c_str());
        continue;
      }
      const double ratio = raw && raw->mips > 0 ? c.mips / raw->mips : 0;
      std::printf("  %-52s %9.1f %8.2f %9.3f %4zu  %s", c.description.c_str(), c.mips, ratio,
                  median(c.seconds), c.seconds.size(), c.checksum.c_str());
      if (c.key == "realistic" && naive && naive->mips > 0)
        std::printf("  (%.1fx naive)", c.mips / naive->mips);
      std::printf("\n");
    }
    std::printf("  context switch (save + restore + protection + resume), us per switch:\n");
    for (const auto& s : r.switches) {
      if (!s.error.empty()) {
        std::printf("    %2d regions: FAILED: %s\n", s.regions, s.error.c_str());
        continue;
      }
      std::printf(
          "    %2d regions: %.2f us reprogramming the unit, %.2f us switching units (slice alone %.2f us; "
          "register writes alone %.2f us, context save+restore alone %.2f us)\n",
          s.regions, s.reprogram_us, s.swap_us, s.slice_us, s.program_only_us, s.context_only_us);
    }
    if (!r.system.empty())
      std::printf(
          "  kernel shim scheduler (bench_switch pair as a layout; preemption, restore, unit swap):\n");
    for (const auto& s : r.system) {
      if (!s.error.empty()) {
        std::printf("    FAILED: %s\n", s.error.c_str());
      } else if (s.slice == 0) {
        std::printf("    slice 10M (baseline): %.1f MIPS\n", s.mips);
      } else {
        std::printf("    slice %llu: %.1f MIPS, %llu switches, %.2f us per switch over the baseline\n",
                    static_cast<unsigned long long>(s.slice), s.mips,
                    static_cast<unsigned long long>(s.switches), s.us_per_switch);
      }
    }
  }
}

nlohmann::json to_json(const std::vector<ProfileReport>& reports, const Options& opt, bool ok) {
  nlohmann::json j;
  j["quick"] = opt.quick;
  j["rounds"] = opt.rounds;
  j["ok"] = ok;
  j["profiles"] = nlohmann::json::array();
  for (const auto& r : reports) {
    nlohmann::json p;
    p["profile"] = std::string(emu::to_string(r.profile));
    p["workload"] = r.workload;
    p["instructions"] = r.instructions;
    p["checksum"] = r.checksum;
    if (!r.error.empty()) p["error"] = r.error;
    if (!r.qemu_empty_seconds.empty()) p["qemu_startup_seconds"] = median(r.qemu_empty_seconds);
    double raw = 0;
    for (const auto& c : r.columns)
      if (c.key == "raw") raw = c.mips;
    p["modes"] = nlohmann::json::array();
    for (const auto& c : r.columns) {
      nlohmann::json m;
      m["mode"] = c.key;
      m["description"] = c.description;
      m["checksum"] = c.checksum;
      m["seconds"] = c.seconds;
      m["median_seconds"] = median(c.seconds);
      m["mips"] = c.mips;
      m["ratio_to_raw"] = raw > 0 ? c.mips / raw : 0;
      if (!c.error.empty()) m["error"] = c.error;
      p["modes"].push_back(m);
    }
    p["context_switch"] = nlohmann::json::array();
    for (const auto& s : r.switches) {
      nlohmann::json m = {{"regions", s.regions},
                          {"us_per_switch_reprogram", s.reprogram_us},
                          {"us_per_switch_unit_swap", s.swap_us},
                          {"us_per_slice", s.slice_us},
                          {"us_register_writes_only", s.program_only_us},
                          {"us_context_save_restore_only", s.context_only_us}};
      if (!s.error.empty()) m["error"] = s.error;
      p["context_switch"].push_back(m);
    }
    p["system"] = nlohmann::json::array();
    for (const auto& s : r.system) {
      nlohmann::json m = {{"slice", s.slice},
                          {"mips", s.mips},
                          {"switches", s.switches},
                          {"us_per_switch_over_baseline", s.us_per_switch}};
      if (!s.error.empty()) m["error"] = s.error;
      p["system"].push_back(m);
    }
    j["profiles"].push_back(p);
  }
  return j;
}

}  // namespace
}  // namespace bulkhead::bench

int main(int argc, char** argv) {
  using namespace bulkhead::bench;
  Options opt;
  CLI::App app{"Bulkhead benchmark: guest MIPS per bus mode, QEMU for comparison, context-switch cost"};
  app.add_flag("--quick", opt.quick,
               "Short workload, 1 round: a smoke test of the harness, not a measurement");
  app.add_flag("--json", opt.json, "Print the results as JSON instead of a table");
  app.add_option("--rounds", opt.rounds, "Interleaved rounds (medians are reported)")
      ->check(CLI::Range(1, 100));
  app.add_option("--profiles", opt.profiles, "CPU profiles to measure")
      ->check(CLI::IsMember({"cortex-m4", "cortex-m33", "rv32imac"}));
  app.add_flag("!--no-qemu", opt.qemu, "Skip the QEMU column");
  app.add_option("--modes", opt.modes, "Measure only these (e.g. --modes raw worst, to profile one mode)")
      ->check(CLI::IsMember({"raw", "realistic", "worst", "naive", "qemu", "switch", "system"}));
  app.add_option("--slow-seconds", opt.slow_seconds,
                 "A mode whose first run takes longer than this is not repeated in later rounds");
  app.add_option("--firmware-dir", opt.firmware_dir, "Where bench_mix-*.elf and bench_switch*-*.elf are");
  app.add_option("--qemu-dir", opt.qemu_dir, "Where the bare-metal QEMU images are");
  CLI11_PARSE(app, argc, argv);
  if (opt.quick) {
    if (app.count("--rounds") == 0) opt.rounds = 1;
    opt.switches = 1000;
  }

  std::vector<ProfileReport> reports;
  for (const auto& name : opt.profiles) {
    const auto profile = bulkhead::emu::parse_profile(name);
    if (!opt.json) std::fprintf(stderr, "measuring %s...\n", name.c_str());
    try {
      reports.push_back(measure(*profile, opt));
    } catch (const std::exception& e) {
      ProfileReport r;
      r.profile = *profile;
      r.error = e.what();
      reports.push_back(r);
    }
  }
  bool ok = true;
  for (const auto& r : reports) ok = ok && report_ok(r);
  if (opt.json)
    std::cout << to_json(reports, opt, ok).dump(2) << "\n";
  else
    print_table(reports, opt);
  return ok ? 0 : 1;
}
