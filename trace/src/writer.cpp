// The trace writer (docs/trace.md). Lines are built in a buffer and written in large pieces; nothing here
// throws while the engine runs (a write error is remembered and reported by finish()).
#include <cerrno>
#include <cstring>

#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/trace/trace.hpp"
#include "disasm.hpp"

namespace bulkhead::trace {
namespace {

constexpr std::size_t kFlushAt = 1 << 20;

struct CallInfo {
  const char* name;
  int args;
};

// docs/abi.md: names and argument counts of the calls.
CallInfo call_info(std::uint32_t number) {
  using kernel_shim::abi::Call;
  switch (static_cast<Call>(number)) {
    case Call::Exit:
      return {"exit", 1};
    case Call::Write:
      return {"write", 2};
    case Call::Yield:
      return {"yield", 0};
    case Call::Sleep:
      return {"sleep", 1};
    case Call::Time:
      return {"time", 0};
    case Call::Id:
      return {"id", 0};
    case Call::Lookup:
      return {"lookup", 2};
    case Call::Send:
      return {"send", 6};
    case Call::Receive:
      return {"receive", 3};
    case Call::Reply:
      return {"reply", 3};
    case Call::Notify:
      return {"notify", 2};
    case Call::Wait:
      return {"wait", 2};
    case Call::Read:
      return {"read", 2};
    case Call::Region:
      return {"region", 2};
    case Call::Status:
      return {"status", 1};
  }
  return {"unknown", 6};
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

Writer::Writer(const std::string& path, Options options, Arch arch)
    : path_(path), options_(std::move(options)), arch_(arch), disasm_(std::make_unique<Disassembler>(arch)) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw TraceError("cannot write the trace file " + path + ": " + std::strerror(errno));
  buf_.reserve(kFlushAt + 4096);
  put("# bulkhead trace v1 format=");
  put(options_.format == Format::Text ? "text" : "compact");
  put(" arch=");
  put(to_string(arch));
  if (!disasm_->has_disassembler()) put(" disassembly=none (Capstone 4 has no RISC-V: raw encodings)");
  line_end();
}

Writer::~Writer() {
  if (file_) std::fclose(file_);
}

void Writer::attach(kernel_shim::Kernel& kernel, std::string module) {
  select(module);
  kernel.set_syscall_observer(
      [this](std::uint32_t number, const std::uint32_t(&args)[6], std::optional<std::int32_t> result) {
        syscall_line(module_, number, args, result);
      });
  kernel.engine().set_tracer(this);
  kernel_ = &kernel;
  engine_ = &kernel.engine();
}

void Writer::attach(kernel_shim::System& system) {
  names_.clear();
  for (std::size_t i = 0; i < system.partition_count(); ++i)
    names_.push_back(system.partition_name(static_cast<int>(i)));
  system.set_observer(this);
  system.engine().set_tracer(this);
  system_ = &system;
  engine_ = &system.engine();
}

void Writer::select(const std::string& module) {
  module_ = module;
  module_on_ = wanted(module);
  have_next_ = false;
  have_access_ = false;
}

bool Writer::wanted(const std::string& module) const {
  if (options_.modules.empty()) return true;
  for (const auto& m : options_.modules)
    if (m == module) return true;
  return false;
}

// ---- Formatting ----

void Writer::hex(std::uint64_t v, int width) {
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 0xF];
    v >>= 4;
  } while (v != 0 && n < 16);
  while (n < width) tmp[n++] = '0';
  while (n > 0) buf_.push_back(tmp[--n]);
}

void Writer::bytes_field(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) {
    put("-");
    return;
  }
  if (arch_ == Arch::Rv32) {  // the instruction as a little-endian word (RISC-V parcels)
    std::uint32_t w = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) w = w << 8 | bytes[i];
    hex(w, static_cast<int>(bytes.size() * 2));
    return;
  }
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)  // Thumb: halfwords in order, as objdump shows them
    hex(static_cast<std::uint32_t>(bytes[i] | bytes[i + 1] << 8), 4);
}

void Writer::line_end() {
  buf_.push_back('\n');
  if (buf_.size() >= kFlushAt) flush_buffer();
}

void Writer::flush_buffer() {
  if (!failed_ && file_ && !buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
    failed_ = true;
    error_ = std::strerror(errno);
  }
  buf_.clear();
}

void Writer::finish() {
  if (engine_) engine_->set_tracer(nullptr);
  if (kernel_) kernel_->set_syscall_observer(nullptr);
  if (system_) system_->set_observer(nullptr);
  engine_ = nullptr;
  kernel_ = nullptr;
  system_ = nullptr;
  flush_buffer();
  if (file_) {
    if (std::fclose(file_) != 0 && !failed_) {
      failed_ = true;
      error_ = std::strerror(errno);
    }
    file_ = nullptr;
  }
  if (failed_) throw TraceError("cannot write the trace file " + path_ + ": " + error_);
}

// ---- Engine events ----

void Writer::instruction_line(Line kind, std::uint32_t pc, std::span<const std::uint8_t> bytes) {
  bool fresh = false;
  const std::string& text = disasm_->text(pc, bytes, fresh);
  const bool faulted = kind == Line::Faulted;
  if (options_.format == Format::Text || faulted) {
    put(faulted ? "I! " : "I ");
    put(module_);
    buf_.push_back(' ');
    hex(pc, 8);
    buf_.push_back(' ');
    bytes_field(bytes);
    buf_.push_back(' ');
    put(text);
    if (kind == Line::ConditionFailed) put(" (condition failed)");
    line_end();
    if (!faulted) {
      next_pc_ = pc + static_cast<std::uint32_t>(bytes.size());
      have_next_ = true;
    }
    return;
  }
  if (fresh) {  // the dictionary: each distinct instruction is spelled out once
    put("D ");
    hex(pc, 8);
    buf_.push_back(' ');
    bytes_field(bytes);
    buf_.push_back(' ');
    put(text);
    line_end();
  }
  if (have_next_ && pc == next_pc_) {
    buf_.push_back('.');
  } else if (have_next_) {
    const auto delta = static_cast<std::int64_t>(pc) - static_cast<std::int64_t>(next_pc_);
    buf_.push_back('j');
    buf_.push_back(delta < 0 ? '-' : '+');
    hex(static_cast<std::uint64_t>(delta < 0 ? -delta : delta));
  } else {
    buf_.push_back('@');
    hex(pc);
  }
  if (kind == Line::ConditionFailed) buf_.push_back('~');
  line_end();
  next_pc_ = pc + static_cast<std::uint32_t>(bytes.size());
  have_next_ = true;
}

void Writer::on_instruction(std::uint32_t pc, std::span<const std::uint8_t> bytes) {
  if (!module_on_ || (options_.range && !options_.range->contains(pc))) return;
  ++instructions_;
  instruction_line(Line::Completed, pc, bytes);
}

void Writer::on_condition_failed(std::uint32_t pc, std::span<const std::uint8_t> bytes) {
  if (!module_on_ || (options_.range && !options_.range->contains(pc))) return;
  ++instructions_;
  instruction_line(Line::ConditionFailed, pc, bytes);
}

void Writer::on_access(const emu::TraceAccess& a) {
  if (!module_on_ || (options_.range && !options_.range->contains(a.address))) return;
  const bool write = a.access == Access::Write;
  if (options_.format == Format::Text) {
    put(write ? "W " : "R ");
    hex(a.address, 8);
    buf_.push_back(' ');
    hex(a.size);
    put(a.unit ? " ok" : " unchecked");
    if (write) {
      put(" =");
      hex(a.value, static_cast<int>(a.size * 2));
    }
    line_end();
    return;
  }
  buf_.push_back(write ? 'w' : 'r');
  hex(a.size);
  // The address, or its distance from the previous access when that is shorter (stack and array walks).
  const std::int64_t delta = static_cast<std::int64_t>(a.address) - static_cast<std::int64_t>(last_access_);
  const std::uint64_t mag = static_cast<std::uint64_t>(delta < 0 ? -delta : delta);
  if (have_access_ && mag < 0x100000) {
    buf_.push_back(delta < 0 ? '-' : '+');
    hex(mag);
  } else {
    buf_.push_back(' ');
    hex(a.address);
  }
  if (write) {
    buf_.push_back('=');
    hex(a.value);
  }
  if (!a.unit) buf_.push_back('?');
  last_access_ = a.address;
  have_access_ = true;
  line_end();
}

void Writer::on_fault(const Fault& f, std::span<const std::uint8_t> bytes) {
  if (!module_on_) return;
  if (!options_.range || options_.range->contains(f.pc)) instruction_line(Line::Faulted, f.pc, bytes);
  const bool memory =
      f.kind == FaultKind::MemManage || f.kind == FaultKind::BusFault || f.kind == FaultKind::AccessFault;
  if (!memory || (options_.range && !options_.range->contains(f.address))) return;
  put(f.access == Access::Write ? "W " : f.access == Access::Execute ? "X " : "R ");
  hex(f.address, 8);
  buf_.push_back(' ');
  hex(f.size);
  put(" DENIED ");
  put(to_string(f.kind));
  put(": ");
  put(one_line(f.verdict && !f.verdict->detail.empty() ? f.verdict->detail : f.detail));
  line_end();
}

// ---- Kernel events ----

void Writer::syscall_line(const std::string& module, std::uint32_t number, const std::uint32_t (&args)[6],
                          std::optional<std::int32_t> result) {
  if (!wanted(module)) return;
  const CallInfo c = call_info(number);
  put("C ");
  put(module);
  put(" syscall ");
  put(std::to_string(number));
  buf_.push_back(' ');
  put(c.name);
  buf_.push_back('(');
  for (int i = 0; i < c.args; ++i) {
    if (i) put(", ");
    put("0x");
    hex(args[i]);
  }
  put(") = ");
  put(result ? std::to_string(*result) : std::string("-"));
  line_end();
}

void Writer::end(const kernel_shim::ModuleResult& r) {
  if (!module_on_) return;
  if (r.outcome != kernel_shim::Outcome::Exited && !r.report.empty()) {
    put("F ");
    put(module_);
    buf_.push_back(' ');
    put(one_line(r.report));
    line_end();
  }
  put("E ");
  put(module_);
  buf_.push_back(' ');
  put(kernel_shim::to_string(r.outcome));
  if (r.outcome == kernel_shim::Outcome::Exited) put(" " + std::to_string(r.exit_code));
  put(" after " + std::to_string(r.instructions) + " instructions");
  line_end();
}

void Writer::on_switch(int partition, std::uint64_t time) {
  const std::string& name = names_.at(static_cast<std::size_t>(partition));
  select(name);
  if (!module_on_) return;
  put("S " + std::to_string(time) + " switch -> ");
  put(name);
  line_end();
}

void Writer::on_syscall(int partition, std::uint32_t number, const std::uint32_t (&args)[6],
                        std::optional<std::int32_t> result, std::uint64_t) {
  syscall_line(names_.at(static_cast<std::size_t>(partition)), number, args, result);
}

void Writer::on_fault(int partition, const kernel_shim::FaultEvent& e) {
  const std::string& name = names_.at(static_cast<std::size_t>(partition));
  if (!wanted(name)) return;
  put("F " + name + " " + std::to_string(e.time) + " " + e.outcome + ": ");
  put(one_line(e.report));
  line_end();
}

void Writer::on_end(int partition, kernel_shim::Outcome outcome, std::uint64_t time) {
  const std::string& name = names_.at(static_cast<std::size_t>(partition));
  if (!wanted(name)) return;
  put("E " + name + " " + std::to_string(time) + " ");
  put(kernel_shim::to_string(outcome));
  line_end();
}

}  // namespace bulkhead::trace
