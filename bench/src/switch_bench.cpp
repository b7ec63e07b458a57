#include "switch_bench.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "layouts.hpp"

namespace bulkhead::bench {

struct SwitchBench::Impl {
  emu::CpuProfile profile;
  std::vector<Rule> rules[2];
  RegisterImage registers[2];  // each module's register values, computed once as a kernel keeps them
  // The units are declared before the engine so that they outlive it (the engine may consult its unit
  // until it is destroyed).
  std::unique_ptr<ProtectionUnit> hardware;  // the one unit a kernel reprograms at every switch
  std::unique_ptr<ProtectionUnit> own[2];    // each module's unit, programmed once (the swap variant)
  emu::Engine engine;
  emu::CpuContext context[2];
  int current = 0;
  std::string console;  // bench_switch writes nothing; kept for serve_syscall

  Impl(emu::CpuProfile p, const Module& a, const Module& b, int regions)
      : profile(p),
        rules{realistic_layout(a.placement, p, regions), realistic_layout(b.placement, p, regions)},
        registers{register_image(p, rules[0], regions), register_image(p, rules[1], regions)},
        hardware(make_unit(p, rules[0], regions)),
        own{make_unit(p, rules[0], regions), make_unit(p, rules[1], regions)},
        engine(p, emu::EngineOptions{.bus = emu::BusMode::Checked, .count_instructions = true}) {
    load_into(engine, b);
    load_into(engine, a);  // leaves PC and SP at module A's start
    engine.drop_privilege();
    engine.save_context(context[0]);
    engine.set_pc(b.image.entry_address());
    engine.set_sp(b.placement.stack_top);
    engine.save_context(context[1]);
    engine.restore_context(context[0]);
    engine.set_protection_unit(hardware.get());
    // Warm up both modules (start-up code, first translations) with a few switches.
    for (int i = 0; i < 64; ++i) {
      slice();
      switch_reprogram();
    }
  }

  // Runs the current module to its next yield and answers it.
  void slice() {
    const emu::RunResult r = engine.run(1'000'000);
    int exit_code = 0;
    if (r.reason != emu::StopReason::Syscall || serve_syscall(engine, r, console, exit_code))
      throw std::runtime_error("bench_switch on " + std::string(emu::to_string(profile)) + " stopped: " +
                               std::string(emu::to_string(r.reason)) + " at pc " + std::to_string(r.pc) +
                               (r.fault ? " (" + r.fault->detail + ")" : std::string()));
  }

  void switch_reprogram() {
    engine.save_context(context[current]);
    current ^= 1;
    engine.restore_context(context[current]);
    load_registers(*hardware, profile, registers[current]);
  }

  void switch_swap() {
    engine.save_context(context[current]);
    current ^= 1;
    engine.restore_context(context[current]);
    engine.set_protection_unit(own[current].get());
  }
};

namespace {

template <typename F>
double per_iteration_us(std::uint64_t n, F&& body) {
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < n; ++i) body();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(n);
}

}  // namespace

SwitchBench::SwitchBench(emu::CpuProfile profile, const Module& a, const Module& b, int regions)
    : impl_(std::make_unique<Impl>(profile, a, b, regions)) {}

SwitchBench::~SwitchBench() = default;

double SwitchBench::time_slices(std::uint64_t slices) {
  Impl& s = *impl_;
  return per_iteration_us(slices, [&] { s.slice(); });
}

double SwitchBench::time_reprogram(std::uint64_t slices) {
  Impl& s = *impl_;
  s.engine.set_protection_unit(s.hardware.get());
  load_registers(*s.hardware, s.profile, s.registers[s.current]);
  return per_iteration_us(slices, [&] {
    s.switch_reprogram();
    s.slice();
  });
}

double SwitchBench::time_swap(std::uint64_t slices) {
  Impl& s = *impl_;
  s.engine.set_protection_unit(s.own[s.current].get());
  const double us = per_iteration_us(slices, [&] {
    s.switch_swap();
    s.slice();
  });
  s.engine.set_protection_unit(s.hardware.get());
  load_registers(*s.hardware, s.profile, s.registers[s.current]);
  return us;
}

double SwitchBench::time_program_only(std::uint64_t switches) {
  Impl& s = *impl_;
  int which = s.current;
  const double us = per_iteration_us(switches, [&] {
    which ^= 1;
    load_registers(*s.hardware, s.profile, s.registers[which]);
  });
  load_registers(*s.hardware, s.profile, s.registers[s.current]);
  return us;
}

double SwitchBench::time_context_only(std::uint64_t switches) {
  Impl& s = *impl_;
  return per_iteration_us(switches, [&] {
    s.engine.save_context(s.context[s.current]);
    s.engine.restore_context(s.context[s.current]);
  });
}

}  // namespace bulkhead::bench
