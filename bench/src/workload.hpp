// Running a module image on the engine the way a benchmark needs it: loaded once from disk, mapped into a
// fresh engine per run, syscalls (exit, write) served here, console output captured for the checksum.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/emu/engine.hpp"
#include "bulkhead/loader/image.hpp"
#include "layouts.hpp"

namespace bulkhead::bench {

struct Module {
  loader::Image image;
  ModulePlacement placement;
};

// Loads an ELF and finds its placement (flash, RAM, __stack_top, bench_red_zones). Throws on a bad image.
Module load_module(const std::filesystem::path& path);

// Maps the module's segments (page-rounded spans; segments sharing a granule share the mapping) and writes
// their bytes. PC = entry, SP = __stack_top.
void load_into(emu::Engine& engine, const Module& module);

// Serves a syscall the module made (RunResult::reason == Syscall). Returns true when it was exit; write
// appends to `console` and answers the byte count (0 bytes: a yield). Throws on anything else.
bool serve_syscall(emu::Engine& engine, const emu::RunResult& r, std::string& console, int& exit_code);

struct RunOutcome {
  std::string console;
  int exit_code = 0;
  double seconds = 0;              // wall time from the first run() to the exit syscall
  std::uint64_t instructions = 0;  // when counted (EngineOptions::count_instructions), else 0
};

// Runs `module` to its exit on a fresh engine of `profile` with `options`, unprivileged, with `unit` as the
// protection unit (nullptr: none). Throws std::runtime_error with the module's name and what happened when
// it faults, traps or does not exit 0. No time limit (see run_to_exit in workload.cpp).
RunOutcome run_to_exit(const Module& module, emu::CpuProfile profile, emu::EngineOptions options,
                       const ProtectionUnit* unit);

// The "checksum ..." part of a bench_mix output line ("" when there is none).
std::string checksum_of(const std::string& console);

}  // namespace bulkhead::bench
