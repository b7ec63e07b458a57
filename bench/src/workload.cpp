#include "workload.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::bench {

namespace {

std::uint32_t round_down(std::uint32_t v, std::uint32_t a) {
  return v / a * a;
}
std::uint64_t round_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

// Arm: r7 holds the call number, r0..r3 the arguments. RISC-V: a7 (x17), a0..a3 (x10..x13).
unsigned call_reg(Arch a) {
  return a == Arch::Rv32 ? 17 : 7;
}
unsigned arg_reg(Arch a, unsigned i) {
  return (a == Arch::Rv32 ? 10 : 0) + i;
}

std::string describe(const emu::RunResult& r) {
  std::string s = std::string(emu::to_string(r.reason)) + " at pc " + std::to_string(r.pc);
  if (r.fault) s += " (" + std::string(to_string(r.fault->kind)) + ": " + r.fault->detail + ")";
  if (!r.error.empty()) s += " (" + r.error + ")";
  return s;
}

}  // namespace

Module load_module(const std::filesystem::path& path) {
  Module m{loader::load_elf(path), {}};
  for (const auto& seg : m.image.segments) {
    if (has(seg.perms, Perms::X) && m.placement.flash == 0) m.placement.flash = seg.vaddr;
    // The stack ends the writable segment (firmware_samples/runtime/module.ld): its end is __stack_top, a
    // linker-script symbol the loader does not list (it keeps functions and objects).
    if (has(seg.perms, Perms::W) && m.placement.ram == 0) {
      m.placement.ram = seg.vaddr;
      m.placement.stack_top = (seg.vaddr + seg.memsz) & ~7u;
    }
  }
  if (m.placement.flash == 0 || m.placement.ram == 0)
    throw std::runtime_error(path.string() + ": not a Bulkhead module (no code or no RAM segment)");
  if (const loader::Symbol* zones = m.image.find_symbol("bench_red_zones")) {
    const loader::Segment* seg = m.image.find_segment(zones->value);
    if (seg == nullptr) throw std::runtime_error(path.string() + ": bench_red_zones outside every segment");
    for (std::uint32_t off = zones->value - seg->vaddr; off + 4 <= seg->filesz(); off += 4) {
      std::uint32_t z = 0;
      std::memcpy(&z, seg->bytes.data() + off, 4);  // little-endian host and guest
      if (z == 0) break;
      m.placement.red_zones.push_back(z);
    }
  }
  return m;
}

void load_into(emu::Engine& engine, const Module& module) {
  constexpr std::uint32_t g = emu::Engine::kMapGranule;
  // Merge the granule-rounded spans of all segments, then map each merged span once.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  for (const auto& seg : module.image.segments) {
    if (seg.memsz == 0) continue;
    spans.emplace_back(round_down(seg.vaddr, g), round_up(std::uint64_t{seg.vaddr} + seg.memsz, g));
  }
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
  for (const auto& s : spans) {
    if (!merged.empty() && s.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, s.second);
    else
      merged.push_back(s);
  }
  for (const auto& [b, e] : merged)
    engine.map(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e - b), module.image.path);
  for (const auto& seg : module.image.segments)
    if (!seg.bytes.empty()) engine.write_memory(seg.vaddr, seg.bytes);
  engine.set_pc(module.image.entry_address());
  engine.set_sp(module.placement.stack_top);
}

bool serve_syscall(emu::Engine& engine, const emu::RunResult& r, std::string& console, int& exit_code) {
  const Arch arch = engine.arch();
  if (arch != Arch::Rv32 && r.trap_imm != kernel_shim::abi::kSvcImmediate)
    throw std::runtime_error("unknown trap: svc #" + std::to_string(r.trap_imm));
  const std::uint32_t call = engine.reg(call_reg(arch));
  switch (static_cast<kernel_shim::abi::Call>(call)) {
    case kernel_shim::abi::Call::Exit:
      exit_code = static_cast<std::int32_t>(engine.reg(arg_reg(arch, 0)));
      return true;
    case kernel_shim::abi::Call::Write: {
      const std::uint32_t buf = engine.reg(arg_reg(arch, 0));
      const std::uint32_t len = std::min(engine.reg(arg_reg(arch, 1)), kernel_shim::abi::kMaxWrite);
      if (len > 0) {
        std::vector<std::uint8_t> bytes(len);
        engine.read_memory(buf, bytes);
        console.append(bytes.begin(), bytes.end());
      }
      engine.set_reg(arg_reg(arch, 0), len);
      return false;
    }
    default:  // the benchmark modules use exit and write only
      break;
  }
  throw std::runtime_error("unknown syscall " + std::to_string(call));
}

RunOutcome run_to_exit(const Module& module, emu::CpuProfile profile, emu::EngineOptions options,
                       const ProtectionUnit* unit) {
  emu::Engine engine(profile, options);
  load_into(engine, module);
  engine.set_protection_unit(unit);
  engine.drop_privilege();
  // With counting on, the budget is the hang guard: far more than any benchmark workload runs. With counting
  // off there is none: a time limit makes Unicorn start a timer thread at every uc_emu_start (measured: ~1 ms
  // per run here, 30 % of a 1M-instruction run), which would tax every mode. The counted reference run has
  // shown that the workload ends; a hang would be an engine bug, and CTest's timeout catches it.
  const std::uint64_t budget =
      options.count_instructions ? 100'000'000'000ull : std::numeric_limits<std::uint64_t>::max();

  RunOutcome out;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const emu::RunResult r = engine.run(budget);
    out.instructions += r.instructions;
    if (r.reason == emu::StopReason::Syscall) {
      if (serve_syscall(engine, r, out.console, out.exit_code)) break;
      continue;
    }
    throw std::runtime_error(module.image.path + " on " + std::string(emu::to_string(profile)) + " (" +
                             std::string(emu::to_string(options.bus)) + "): " + describe(r));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (out.exit_code != 0)
    throw std::runtime_error(module.image.path + ": exit code " + std::to_string(out.exit_code));
  return out;
}

std::string checksum_of(const std::string& console) {
  const auto at = console.find("checksum ");
  if (at == std::string::npos) return {};
  const auto end = console.find('\n', at);
  return console.substr(at + 9, end == std::string::npos ? std::string::npos : end - at - 9);
}

}  // namespace bulkhead::bench
