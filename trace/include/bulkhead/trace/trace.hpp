// `bulkhead run --trace FILE`: one line per event of a run — each instruction with its disassembly, each
// data access with its verdict, context switches, syscalls, faults and ends — filterable by module and by
// address range. The format is described in docs/trace.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/emu/tracer.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/kernel_shim/system.hpp"

namespace bulkhead::trace {

enum class Format : std::uint8_t {
  Text,     // every instruction with its module, address, encoding and disassembly
  Compact,  // disassembly once per distinct instruction, addresses delta-encoded (for long runs)
};
std::optional<Format> parse_format(std::string_view name);  // "text", "compact"

// An inclusive address range LO-HI.
struct Range {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0xFFFF'FFFF;
  bool contains(std::uint32_t a) const { return a >= lo && a <= hi; }
};
// "LO-HI": two numbers (0x-prefixed hex or decimal), LO <= HI, both below 2^32. std::invalid_argument with a
// message that quotes the text otherwise.
Range parse_range(std::string_view text);

struct Options {
  Format format = Format::Text;
  std::vector<std::string> modules;  // only these modules (partition names, or the ELF's stem); empty: all
  std::optional<Range> range;        // only instructions and accesses whose address lies in it
};

// The trace file could not be written.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Disassembler;

// Writes the trace of one run. Attach it to a Kernel (one module) or a System (a layout) before running,
// then call finish() once the run is over, while that Kernel or System still exists: it detaches the writer
// from it. Write errors during the run are remembered (a Tracer callback must not throw) and reported by
// finish().
class Writer final : public emu::Tracer, public kernel_shim::SystemObserver {
 public:
  // Opens (truncates) `path`; TraceError naming the file and the reason when it cannot.
  Writer(const std::string& path, Options options, Arch arch);
  ~Writer() override;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // One module: every event belongs to `module`; syscalls come from the kernel's syscall observer.
  void attach(kernel_shim::Kernel& kernel, std::string module);
  // A layout: the module of each instruction is the partition switched in (SystemObserver).
  void attach(kernel_shim::System& system);
  // One module's end: its fault report (if it did not exit) and its outcome.
  void end(const kernel_shim::ModuleResult& result);
  // Detaches, flushes and closes the file; TraceError if anything could not be written.
  void finish();

  std::uint64_t instructions_written() const { return instructions_; }

  // emu::Tracer
  void on_instruction(std::uint32_t pc, std::span<const std::uint8_t> bytes) override;
  void on_condition_failed(std::uint32_t pc, std::span<const std::uint8_t> bytes) override;
  void on_access(const emu::TraceAccess& access) override;
  void on_fault(const Fault& fault, std::span<const std::uint8_t> bytes) override;
  // kernel_shim::SystemObserver
  void on_switch(int partition, std::uint64_t time) override;
  void on_syscall(int partition, std::uint32_t number, const std::uint32_t (&args)[6],
                  std::optional<std::int32_t> result, std::uint64_t time) override;
  void on_fault(int partition, const kernel_shim::FaultEvent& event) override;
  void on_end(int partition, kernel_shim::Outcome outcome, std::uint64_t time) override;

 private:
  void select(const std::string& module);
  bool wanted(const std::string& module) const;
  void syscall_line(const std::string& module, std::uint32_t number, const std::uint32_t (&args)[6],
                    std::optional<std::int32_t> result);
  enum class Line : std::uint8_t { Completed, Faulted, ConditionFailed };
  void instruction_line(Line kind, std::uint32_t pc, std::span<const std::uint8_t> bytes);
  void hex(std::uint64_t v, int width = 0);
  void bytes_field(std::span<const std::uint8_t> bytes);
  void put(std::string_view s) { buf_.append(s); }
  void line_end();
  void flush_buffer();

  std::string path_;
  Options options_;
  Arch arch_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
  std::string error_;
  std::string buf_;
  std::unique_ptr<Disassembler> disasm_;
  emu::Engine* engine_ = nullptr;  // what attach() hooked into, for finish() to detach
  kernel_shim::Kernel* kernel_ = nullptr;
  kernel_shim::System* system_ = nullptr;
  std::vector<std::string> names_;  // partition names by id (System)
  std::string module_;              // the module running now
  bool module_on_ = true;           // it passes the module filter
  std::uint64_t instructions_ = 0;
  // Compact format state: where the next instruction would be if no branch is taken, and the last access.
  bool have_next_ = false;
  std::uint32_t next_pc_ = 0;
  bool have_access_ = false;
  std::uint32_t last_access_ = 0;
};

}  // namespace bulkhead::trace
