// Runs one case: a layout on kernel_shim::System, or a single module on kernel_shim::Kernel, each in a fresh
// engine, collecting console output per partition, how each partition ended and every fault it took.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/testing/suite.hpp"

namespace bulkhead::testing {

struct PartitionRun {
  std::string name;
  kernel_shim::ModuleResult result;
  // Every fault, in order. A Faulted result the kernel reported without events counts as one event with
  // action Kill and outcome "killed" (the single-module kernel and System before fault policies).
  std::vector<kernel_shim::FaultEvent> faults;
  std::string output;                          // console output
  std::shared_ptr<const loader::Image> image;  // for symbol expectations; null when it could not be loaded
};

enum class RunStatus : std::uint8_t {
  Ran,      // the case ran to the end; `partitions` holds what happened
  Error,    // the case could not run (missing ELF, a layout that does not check, ...): `error`
  Timeout,  // the wall-clock cap was reached before the case ended
};

struct CaseRun {
  RunStatus status = RunStatus::Error;
  std::string error;
  std::vector<PartitionRun> partitions;  // in the layout's order
  std::uint64_t instructions = 0;        // over all partitions
  std::chrono::milliseconds elapsed{0};  // wall-clock (reports only: never part of deterministic output)

  const PartitionRun* partition(const std::string& name) const;
};

// Runs `c` in the calling thread, without a wall-clock cap. Never throws: an unusable case is an Error.
CaseRun execute(const Case& c);

// Runs `c` in a worker thread and waits at most c.timeout for it. On a timeout the worker is left to finish
// (its instruction budget bounds it) and its result is dropped; the caller gets a Timeout at once.
// `abandoned()` counts the workers still running then: a process should end with std::_Exit (no static
// destructors) while any are.
CaseRun execute_with_cap(const Case& c);
int abandoned();

}  // namespace bulkhead::testing
