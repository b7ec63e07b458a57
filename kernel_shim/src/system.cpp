#include "bulkhead/kernel_shim/system.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/kernel_shim/personality.hpp"
#include "bulkhead/loader/elf.hpp"
#include "report.hpp"
#include "tock_personality.hpp"

namespace bulkhead::kernel_shim {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kPage = emu::Engine::kMapGranule;

enum class State : std::uint8_t {
  Ready,
  Sleeping,       // sleep(): until `deadline`
  Sending,        // send(): queued on `peer`, which has not received yet
  AwaitingReply,  // send(): `peer` has the message; waiting for its reply
  Receiving,      // receive(): nobody was sending
  Waiting,        // wait(): for notification bits in `wait_mask`
  Done,
};

std::string_view to_string(State s) {
  switch (s) {
    case State::Ready:
      return "ready";
    case State::Sleeping:
      return "sleep";
    case State::Sending:
      return "send";
    case State::AwaitingReply:
      return "send (awaiting the reply)";
    case State::Receiving:
      return "receive";
    case State::Waiting:
      return "wait";
    case State::Done:
      return "done";
  }
  return "?";
}

// Page-granular spans covering every range, merged where they touch or overlap.
std::vector<AddressRange> merged_pages(std::vector<AddressRange> spans) {
  for (auto& s : spans) {
    const std::uint64_t lo = s.base / kPage * kPage;
    const std::uint64_t hi = (s.end() + kPage - 1) / kPage * kPage;
    s = {lo, hi - lo};
  }
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.base < b.base; });
  std::vector<AddressRange> out;
  for (const auto& s : spans) {
    if (s.size == 0) continue;
    if (!out.empty() && s.base <= out.back().end())
      out.back().size = std::max(out.back().end(), s.end()) - out.back().base;
    else
      out.push_back(s);
  }
  return out;
}

struct AbiRegs {
  unsigned number, arg0, result;
};
constexpr AbiRegs kArm{7, 0, 0};       // r7, r0-r5, r0/r1 (docs/abi.md)
constexpr AbiRegs kRiscv{17, 10, 10};  // a7, a0-a5, a0/a1

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

struct System::Partition {
  int id = 0;
  std::string name;
  std::size_t layout_index = 0;  // into checked_.partitions
  loader::Image image;
  std::optional<loader::SourceLines> lines;
  std::unique_ptr<ProtectionUnit> unit;  // the layout's programming for it, kernel regions included
  emu::CpuContext context;
  emu::CpuContext initial;  // for restart
  layout::FaultPolicy policy;
  PartitionResult res;

  State state = State::Ready;
  std::uint64_t deadline = kNever;
  int peer = -1;                                    // Sending / AwaitingReply: the receiver
  std::uint32_t msg = 0, msg_len = 0;               // Sending: the message
  std::uint32_t reply = 0, reply_cap = 0;           // Sending / AwaitingReply: where the reply goes
  std::uint32_t recv_buf = 0, recv_cap = 0;         // Receiving
  std::uint32_t wait_mask = 0;                      // Waiting
  std::uint32_t notes = 0;                          // pending notification bits
  std::deque<int> senders;                          // partitions Sending to it, first come first served
  std::optional<std::array<std::uint32_t, 2>> ret;  // results to load when it is next switched in
  std::string input;
  std::size_t input_pos = 0;
  std::uint64_t isolation_checked = kNever;  // unit generation last proven by --check-isolation
  std::uint64_t fault_address = 0;
  std::optional<Fault> pending_fault;  // debugger: reported, its policy not applied yet
  bool skip_breakpoint = false;        // debugger: resume past the breakpoint it stopped at
  // Another syscall ABI than Bulkhead's (layout `abi`, docs/tock.md); null for Bulkhead's own.
  std::unique_ptr<Personality> personality;
  bool personality_blocked = false;  // blocked in the personality: resume() runs when it is switched in
};

// What one turn's handling decided.
struct System::Step {
  bool end_turn = false;
  std::optional<DebugStop> stop;  // for a debugger: a breakpoint or a fault it must see
};

System::System(const layout::CheckResult& checked, PartitionConsole console)
    : checked_(checked),
      engine_(emu::default_profile(checked.layout.target.unit.arch),
              // Counts from the exact-PC hook from the first instruction: the same whatever the slice.
              emu::EngineOptions{.bus = emu::BusMode::Checked, .count_instructions = true, .exact_pc = true}),
      console_(std::move(console)) {
  if (!checked_.ok()) throw std::invalid_argument(checked_.layout.file + ": the layout does not check");
  // The target's flash and RAM exist whole, as on the silicon: an access the unit refuses there is a
  // protection fault, not a bus fault. Peripheral memories stay unmapped (Bulkhead models no devices).
  std::vector<AddressRange> spans;
  for (const layout::Memory& m : checked_.layout.target.memories)
    if (m.kind != layout::MemoryKind::Peripheral) spans.push_back(m.range);
  for (std::size_t i = 0; i < checked_.partitions.size(); ++i) {
    const layout::CompiledPartition& cp = checked_.partitions[i];
    for (const auto& r : cp.regions)
      if (r.kind != layout::RegionKind::Peripheral) spans.push_back(r.range);  // devices stay unmapped
    if (cp.elf.empty()) continue;
    auto p = std::make_unique<Partition>();
    p->id = static_cast<int>(partitions_.size());
    p->name = cp.name;
    p->layout_index = i;
    const layout::Partition& lp = checked_.layout.partitions[i];
    std::uint32_t tbf_protected = 0;
    if (lp.abi == layout::Abi::Tock) {
      TockImage t = load_tock_image(lp, checked_.layout.target.unit.arch);
      tbf_protected = t.app.header.protected_size();
      p->image = std::move(t.image);
      p->lines = std::move(t.lines);
    } else {
      p->image = loader::load_elf(cp.elf);
      p->lines = loader::SourceLines::open(cp.elf);
    }
    p->unit = layout::programmed_unit(checked_, static_cast<int>(i));
    if (!p->unit) throw std::invalid_argument("partition `" + cp.name + "` has no programming");
    if (lp.abi == layout::Abi::Tock) {
      TockProcessSpec spec;
      spec.name = cp.name;
      spec.app_id = p->id;
      spec.memory = *lp.tock;
      spec.unit = checked_.layout.target.unit;
      spec.slots = cp.slots;
      spec.protection = p->unit.get();
      spec.protected_size = tbf_protected;
      p->personality = make_tock_personality(std::move(spec));
    }
    p->policy = checked_.layout.partitions[i].fault;
    p->res.name = cp.name;
    for (const auto& seg : p->image.segments) spans.push_back(seg.range());
    partitions_.push_back(std::move(p));
  }
  if (partitions_.empty())
    throw std::invalid_argument(checked_.layout.file + ": no partition names a module");
  for (const auto& span : merged_pages(std::move(spans))) {
    if (span.end() > (1ull << 32)) throw std::invalid_argument("a partition reaches past 4 GiB");
    engine_.map(static_cast<std::uint32_t>(span.base), static_cast<std::uint32_t>(span.size), "partitions");
  }
  for (auto& p : partitions_) {
    for (const auto& seg : p->image.segments) engine_.write_memory(seg.vaddr, seg.bytes);
    engine_.set_pc(p->image.entry_address());
    for (const auto& seg : p->image.segments)
      if (has(seg.perms, Perms::W)) engine_.set_sp((seg.vaddr + seg.memsz) & ~7u);
    if (p->personality) p->personality->start(engine_);  // its own entry registers
    engine_.drop_privilege();                            // every module runs unprivileged
    engine_.save_context(p->context);
    engine_.save_context(p->initial);
  }
}

System::~System() = default;

const std::string& System::partition_name(int id) const {
  return partitions_.at(static_cast<std::size_t>(id))->name;
}

const loader::Image& System::partition_image(int id) const {
  return partitions_.at(static_cast<std::size_t>(id))->image;
}

bool System::may_access(const Partition& p, std::uint32_t addr, std::uint32_t len, Access access) const {
  // The caller's own programming decides, byte by byte, at the caller's privilege: the kernel never reads
  // or writes for a module what the module could not itself (Hubris can_access, FreeRTOS-MPU
  // xPortIsAuthorizedToAccessBuffer). A buffer only partly the caller's is refused whole.
  const std::uint64_t end = std::uint64_t{addr} + len;
  if (end > (1ull << 32)) return false;
  if (len == 0) return true;
  if (!engine_.is_mapped(addr, len)) return false;
  const Perms need = perm_for(access);
  // A range one rule decides is answered at once; otherwise byte by byte (a rule edge inside the buffer).
  if (auto perms = p.unit->uniform_perms({addr, len}, Privilege::Unprivileged)) return has(*perms, need);
  for (std::uint64_t a = addr; a < end; ++a)
    if (!p.unit->check(static_cast<std::uint32_t>(a), 1, access, Privilege::Unprivileged).allowed)
      return false;
  return true;
}

std::uint64_t System::deadline(std::uint32_t timeout) const {
  if (timeout == abi::kForever) return kNever;
  return now_ + std::uint64_t{timeout} * options_.tick;
}

std::string System::regions_in_force(const Partition& p) const {
  std::string out = "regions in force (" + std::string(p.unit->name()) + "):";
  for (const RegionInfo& r : p.unit->regions()) {
    if (!r.enabled) continue;
    out += "\n    #" + std::to_string(r.index) + " " + hex(r.range.base) + "-" + hex(r.range.end() - 1) +
           " priv " + std::string(to_string(r.privileged)) + " unpriv " +
           std::string(to_string(r.unprivileged)) + "  " + r.description;
  }
  return out;
}

// ---- Syscalls ----

std::int32_t System::sys_name(Partition& p, std::uint32_t addr, std::uint32_t len, std::string& out) {
  if (len == 0 || len > abi::kMaxName) return abi::kEInval;
  if (!may_access(p, addr, len, Access::Read)) return abi::kEFault;
  out.resize(len);
  engine_.read_memory(addr, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  return 0;
}

void System::deliver(Partition& from, Partition& to) {
  // Both buffers were checked when their calls were made, against their owners' programming, which does not
  // change while the system runs. A message longer than the receiver's buffer is cut to it; receive still
  // returns the full length, so that the receiver can tell.
  const std::uint32_t n = std::min(from.msg_len, to.recv_cap);
  std::vector<std::uint8_t> bytes(n);
  engine_.read_memory(from.msg, bytes);
  engine_.write_memory(to.recv_buf, bytes);
  from.state = State::AwaitingReply;
  from.peer = to.id;
  to.ret = std::array<std::uint32_t, 2>{from.msg_len, static_cast<std::uint32_t>(from.id)};
  to.state = State::Ready;
  to.deadline = kNever;
}

std::int32_t System::sys_send(Partition& p, const std::uint32_t* a) {
  const std::uint32_t dest = a[0], msg = a[1], len = a[2], reply = a[3], cap = a[4], timeout = a[5];
  if (dest >= partitions_.size()) return abi::kENoEnt;
  if (static_cast<int>(dest) == p.id) return abi::kEInval;
  if (len > abi::kMaxMessage || cap > abi::kMaxMessage) return abi::kEInval;
  if (!may_access(p, msg, len, Access::Read) || !may_access(p, reply, cap, Access::Write))
    return abi::kEFault;
  Partition& d = *partitions_[dest];
  if (d.state == State::Done) return abi::kEPeerDead;
  p.msg = msg;
  p.msg_len = len;
  p.reply = reply;
  p.reply_cap = cap;
  // Timeout 0 sends only to a partition already receiving, and then waits for the reply without limit.
  p.deadline = timeout == 0 ? kNever : deadline(timeout);
  if (d.state == State::Receiving) {
    deliver(p, d);
    return 0;  // not seen: the caller blocks until the reply
  }
  if (timeout == 0) return abi::kETimedOut;
  p.state = State::Sending;
  p.peer = d.id;
  d.senders.push_back(p.id);
  return 0;
}

std::int32_t System::sys_receive(Partition& p, const std::uint32_t* a, Step& step) {
  const std::uint32_t buf = a[0], cap = a[1], timeout = a[2];
  if (cap > abi::kMaxMessage) return abi::kEInval;
  if (!may_access(p, buf, cap, Access::Write)) return abi::kEFault;
  p.recv_buf = buf;
  p.recv_cap = cap;
  if (!p.senders.empty()) {
    Partition& s = *partitions_[static_cast<std::size_t>(p.senders.front())];
    p.senders.pop_front();
    deliver(s, p);
    const auto r = *p.ret;  // p is running: its results go straight to the registers
    p.ret.reset();
    const AbiRegs& regs = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
    engine_.set_reg(regs.result + 1, r[1]);
    return static_cast<std::int32_t>(r[0]);
  }
  if (timeout == 0) return abi::kETimedOut;
  p.state = State::Receiving;
  p.deadline = deadline(timeout);
  step.end_turn = true;
  return 0;
}

std::int32_t System::sys_reply(Partition& p, const std::uint32_t* a) {
  const std::uint32_t to = a[0], msg = a[1], len = a[2];
  if (to >= partitions_.size()) return abi::kESrch;
  Partition& s = *partitions_[to];
  if (s.state != State::AwaitingReply || s.peer != p.id) return abi::kESrch;
  if (len > s.reply_cap) return abi::kEInval;
  if (!may_access(p, msg, len, Access::Read)) return abi::kEFault;
  std::vector<std::uint8_t> bytes(len);
  engine_.read_memory(msg, bytes);
  engine_.write_memory(s.reply, bytes);
  s.state = State::Ready;
  s.deadline = kNever;
  s.peer = -1;
  s.ret = std::array<std::uint32_t, 2>{len, 0};
  return 0;
}

void System::dispatch(Partition& p, Step& step) {
  const AbiRegs& r = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
  const std::uint32_t number = engine_.reg(r.number);
  std::uint32_t a[6];
  for (unsigned i = 0; i < 6; ++i) a[i] = engine_.reg(r.arg0 + i);
  std::int32_t ret = abi::kENoSys;
  std::optional<std::uint32_t> second;
  auto logger = log::get("kernel");
  switch (static_cast<abi::Call>(number)) {
    case abi::Call::Exit:
      p.res.result.exit_code = static_cast<std::int32_t>(a[0]);
      if (observer_) observer_->on_syscall(p.id, number, a, std::nullopt, now_);
      end(p, Outcome::Exited);
      step.end_turn = true;
      return;
    case abi::Call::Write: {
      const std::uint32_t buf = a[0], len = a[1];
      if (len > abi::kMaxWrite) {
        ret = abi::kEInval;
      } else if (!may_access(p, buf, len, Access::Read)) {
        logger->info("{}: write buffer {:#x}+{:#x} is not its readable memory", p.name, buf, len);
        ret = abi::kEFault;
      } else {
        std::vector<std::uint8_t> bytes(len);
        engine_.read_memory(buf, bytes);
        console_(p.name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        ret = static_cast<std::int32_t>(len);
      }
      break;
    }
    case abi::Call::Yield:
      ret = 0;
      step.end_turn = true;
      break;
    case abi::Call::Sleep:
      ret = 0;
      step.end_turn = true;
      if (a[0] > 0) {
        p.state = State::Sleeping;
        p.deadline = deadline(a[0]);
      }
      break;
    case abi::Call::Time:
      ret = static_cast<std::int32_t>(static_cast<std::uint32_t>(now_ / options_.tick));
      break;
    case abi::Call::Id:
      ret = p.id;
      break;
    case abi::Call::Lookup: {
      std::string name;
      ret = sys_name(p, a[0], a[1], name);
      if (ret == 0) {
        ret = abi::kENoEnt;
        for (const auto& q : partitions_)
          if (q->name == name) ret = q->id;
      }
      break;
    }
    case abi::Call::Send:
      ret = sys_send(p, a);
      if (ret == 0) step.end_turn = true;  // blocked: the result arrives with the reply (or the timeout)
      break;
    case abi::Call::Receive:
      ret = sys_receive(p, a, step);
      break;
    case abi::Call::Reply:
      ret = sys_reply(p, a);
      break;
    case abi::Call::Notify: {
      if (a[0] >= partitions_.size()) {
        ret = abi::kENoEnt;
        break;
      }
      Partition& d = *partitions_[a[0]];
      if (d.state == State::Done) {
        ret = abi::kEPeerDead;
        break;
      }
      post(d, a[1]);
      ret = 0;
      break;
    }
    case abi::Call::Wait:
      if ((p.notes & a[0]) != 0) {
        ret = static_cast<std::int32_t>(p.notes & a[0]);
        p.notes &= ~a[0];
      } else if (a[1] == 0) {
        ret = 0;
      } else {
        p.state = State::Waiting;
        p.wait_mask = a[0];
        p.deadline = deadline(a[1]);
        step.end_turn = true;
        ret = 0;
      }
      break;
    case abi::Call::Read: {
      const std::uint32_t buf = a[0], cap = a[1];
      if (cap > abi::kMaxWrite) {
        ret = abi::kEInval;
      } else if (!may_access(p, buf, cap, Access::Write)) {
        ret = abi::kEFault;
      } else {
        const std::size_t n = std::min<std::size_t>(cap, p.input.size() - p.input_pos);
        engine_.write_memory(buf, {reinterpret_cast<const std::uint8_t*>(p.input.data()) + p.input_pos, n});
        p.input_pos += n;
        ret = static_cast<std::int32_t>(n);
      }
      break;
    }
    case abi::Call::Region: {
      std::string name;
      second = 0;  // a size of 0 marks a failure: a base may look negative as a result
      ret = sys_name(p, a[0], a[1], name);
      if (ret != 0) break;
      ret = abi::kENoEnt;
      const layout::CompiledPartition& cp = checked_.partitions[p.layout_index];
      auto found = [&](const AddressRange& range) {
        ret = static_cast<std::int32_t>(static_cast<std::uint32_t>(range.base));
        second = static_cast<std::uint32_t>(range.size);
      };
      for (const auto& reg : cp.regions)
        if (reg.name == name) found(reg.range);
      for (const auto& sh : cp.shares)
        if (sh.partition + "." + sh.region == name) found(sh.range);
      break;
    }
    case abi::Call::Status: {
      if (a[0] >= partitions_.size()) {
        ret = abi::kENoEnt;
        break;
      }
      const Partition& q = *partitions_[a[0]];
      if (q.state != State::Done) {
        ret = 0;
        second = 0;
      } else if (q.res.result.outcome == Outcome::Exited) {
        ret = 1;
        second = static_cast<std::uint32_t>(q.res.result.exit_code);
      } else {
        ret = 2;
        second = static_cast<std::uint32_t>(q.fault_address);
      }
      break;
    }
    default:
      logger->info("{}: unknown syscall {} at pc {:#x}", p.name, number, engine_.pc());
      break;
  }
  if (p.state != State::Ready) {  // blocked: its results arrive when it is woken
    if (observer_) observer_->on_syscall(p.id, number, a, std::nullopt, now_);
    return;
  }
  engine_.set_reg(r.result, static_cast<std::uint32_t>(ret));
  if (second) engine_.set_reg(r.result + 1, *second);
  if (observer_) observer_->on_syscall(p.id, number, a, ret, now_);
}

// ---- Another personality's calls (personality.hpp) ----

PersonalityContext System::personality_context(Partition& p) {
  return PersonalityContext{engine_, now_, [this, &p](std::string_view text) { console_(p.name, text); },
                            std::string_view(p.input).substr(p.input_pos), 0};
}

void System::serve(Partition& p, const CallOutcome& out, Step& step) {
  // What a personality decided, in the kernel's terms: blocking uses the sleep state with the personality's
  // deadline (never: only a wake-up could end it, so the deadlock detector sees it), exit and restart the
  // same paths as Bulkhead's exit and the restart policy.
  if (observer_) observer_->on_syscall(p.id, out.number, out.args, out.result, now_);
  switch (out.after) {
    case After::Continue:
      break;
    case After::Yield:
      step.end_turn = true;
      break;
    case After::Block:
      p.state = State::Sleeping;
      p.deadline = out.wake_at;
      p.personality_blocked = true;
      step.end_turn = true;
      break;
    case After::Exit:
      p.res.result.exit_code = out.exit_code;
      end(p, Outcome::Exited);
      step.end_turn = true;
      break;
    case After::Restart:
      ++p.res.restarts;
      restart(p);
      step.end_turn = true;
      break;
    case After::Trap:
      p.res.result.report = "unknown trap at " + describe_pc(engine_.pc(), p.image, p.lines);
      end(p, Outcome::UnknownTrap);
      step.end_turn = true;
      break;
  }
}

// ---- Ending, restarting, waking ----

void System::end(Partition& p, Outcome outcome) {
  p.state = State::Done;
  p.deadline = kNever;
  p.res.result.outcome = outcome;
  release_peers(p);
  if (observer_) observer_->on_end(p.id, outcome, now_);
}

void System::release_peers(Partition& p) {
  // It leaves any queue it waits in (a partition ended while blocked: stopped by a halt, deadlocked).
  for (auto& q : partitions_)
    q->senders.erase(std::remove(q->senders.begin(), q->senders.end(), p.id), q->senders.end());
  // Whoever sent to it, queued or awaiting its reply, hears that it is gone.
  for (auto& q : partitions_) {
    if ((q->state == State::Sending || q->state == State::AwaitingReply) && q->peer == p.id) {
      q->state = State::Ready;
      q->deadline = kNever;
      q->peer = -1;
      q->ret = std::array<std::uint32_t, 2>{static_cast<std::uint32_t>(abi::kEPeerDead), 0};
    }
  }
  p.senders.clear();
}

void System::post(Partition& d, std::uint32_t bits) {
  d.notes |= bits;
  if (d.state == State::Waiting && (d.notes & d.wait_mask) != 0) {
    d.ret = std::array<std::uint32_t, 2>{d.notes & d.wait_mask, 0};
    d.notes &= ~d.wait_mask;
    d.state = State::Ready;
    d.deadline = kNever;
  }
}

void System::restart(Partition& p) {
  // Its memory as loaded (data re-initialised, .bss and the stack zeroed), its first registers, and no
  // pending IPC or notifications. Partners blocked on it hear that it is gone.
  const layout::CompiledPartition& cp = checked_.partitions[p.layout_index];
  for (const auto& reg : cp.regions) {
    if (reg.kind != layout::RegionKind::Stack && reg.kind != layout::RegionKind::Data) continue;
    if (!engine_.is_mapped(static_cast<std::uint32_t>(reg.range.base),
                           static_cast<std::uint32_t>(reg.range.size)))
      continue;
    engine_.write_memory(static_cast<std::uint32_t>(reg.range.base),
                         std::vector<std::uint8_t>(reg.range.size, 0));
  }
  for (const auto& seg : p.image.segments) {
    std::vector<std::uint8_t> bytes = seg.bytes;
    bytes.resize(seg.memsz, 0);
    engine_.write_memory(seg.vaddr, bytes);
  }
  release_peers(p);
  p.notes = 0;
  p.ret.reset();
  p.state = State::Ready;
  p.deadline = kNever;
  engine_.restore_context(p.initial);
  p.personality_blocked = false;
  if (p.personality) p.personality->start(engine_);  // its state, its break and its entry registers anew
  engine_.set_protection_unit(p.unit.get());
}

void System::wake_expired() {
  for (auto& pp : partitions_) {
    Partition& p = *pp;
    if (p.state == State::Ready || p.state == State::Done || p.deadline > now_) continue;
    std::uint32_t result = static_cast<std::uint32_t>(abi::kETimedOut);
    if (p.state == State::Sleeping) result = 0;
    if (p.state == State::Sending) {
      auto& q = partitions_[static_cast<std::size_t>(p.peer)]->senders;
      q.erase(std::remove(q.begin(), q.end(), p.id), q.end());
    }
    p.state = State::Ready;
    p.deadline = kNever;
    p.peer = -1;
    if (p.personality) continue;  // its personality decides what it gets (resume())
    p.ret = std::array<std::uint32_t, 2>{result, 0};
  }
}

// ---- Faults ----

void System::on_fault(Partition& p, const Fault& f) {
  FaultEvent ev;
  ev.fault = f;
  ev.action = p.policy.action;
  ev.time = now_;
  ev.report = p.personality
                  ? p.personality->fault_report(f, fault_report(f, p.image, p.lines), regions_in_force(p))
                  : p.name + ": " + fault_report(f, p.image, p.lines) + "\n  " + regions_in_force(p);
  p.fault_address = f.address;
  p.res.result.fault = f;
  p.res.result.report = fault_report(f, p.image, p.lines);
  auto logger = log::get("kernel");
  switch (p.policy.action) {
    case layout::FaultAction::Audit:  // only protection faults are audited (audit()); anything else kills
    case layout::FaultAction::Kill:
      ev.outcome = "killed";
      end(p, Outcome::Faulted);
      break;
    case layout::FaultAction::Restart:
      if (p.res.restarts < p.policy.max_restarts) {
        ++p.res.restarts;
        ev.outcome = "restarted (" + std::to_string(p.res.restarts) + " of " +
                     std::to_string(p.policy.max_restarts) + ")";
        restart(p);
      } else {
        ev.outcome = "killed (restart limit of " + std::to_string(p.policy.max_restarts) + " reached)";
        end(p, Outcome::Faulted);
      }
      break;
    case layout::FaultAction::Halt:
      ev.outcome = "halted the system";
      end(p, Outcome::Faulted);
      halted_ = true;
      for (auto& q : partitions_) {
        if (q->state == State::Done) continue;
        q->res.result.report = "stopped: partition `" + p.name + "` faulted under the halt policy";
        end(*q, Outcome::Stopped);
      }
      break;
    case layout::FaultAction::Notify: {
      end(p, Outcome::Faulted);
      ev.outcome = "killed; supervisor `" + p.policy.supervisor + "` not running";
      for (auto& q : partitions_) {
        if (q->name != p.policy.supervisor || q->state == State::Done) continue;
        post(*q, abi::kNoteFault);
        ev.outcome = "killed; notified `" + q->name + "`";
      }
      break;
    }
  }
  logger->info("{}: {}", p.name, ev.outcome);
  if (observer_) observer_->on_fault(p.id, ev);
  p.res.faults.push_back(std::move(ev));
}

void System::audit(Partition& p, const Fault& f, Step& step) {
  // Record the access, then step the faulting instruction once with no protection unit (the access
  // completes as if permitted), put the programming back, and go on.
  auto& recs = p.res.audited;
  auto it = std::find_if(recs.begin(), recs.end(), [&](const AuditRecord& r) {
    return r.access == f.access && r.address == f.address && r.pc == f.pc;
  });
  if (it == recs.end()) {
    recs.push_back({f.access, f.address, f.size, f.pc, 0});
    it = recs.end() - 1;
  }
  ++it->count;
  FaultEvent ev;
  ev.fault = f;
  ev.action = layout::FaultAction::Audit;
  ev.outcome = "audited";
  ev.time = now_;
  ev.report = p.name + ": " + fault_report(f, p.image, p.lines);
  if (observer_) observer_->on_fault(p.id, ev);
  p.res.faults.push_back(std::move(ev));
  engine_.set_protection_unit(nullptr);
  const emu::RunResult r = engine_.run(1);
  engine_.set_protection_unit(p.unit.get());
  if (r.reason == emu::StopReason::Fault && r.fault && r.fault->verdict && !r.fault->verdict->allowed) {
    on_fault(p, *r.fault);  // cannot happen without a unit; never loop on it
    step.end_turn = true;
    return;
  }
  handle(p, r, step);
}

void System::apply_fault(Partition& p, const Fault& f, Step& step) {
  const bool protection = f.verdict && !f.verdict->allowed;
  if (p.policy.action == layout::FaultAction::Audit && protection) {
    audit(p, f, step);
  } else {
    on_fault(p, f);
    step.end_turn = true;
  }
}

void System::handle(Partition& p, const emu::RunResult& r, Step& step) {
  p.res.result.instructions += r.instructions;
  now_ += r.instructions;
  ModuleResult& m = p.res.result;
  switch (r.reason) {
    case emu::StopReason::Syscall:
      if (p.personality) {
        ++m.syscalls;
        PersonalityContext ctx = personality_context(p);
        const CallOutcome out = p.personality->syscall(ctx, r.trap_imm);
        p.input_pos += ctx.input_used;
        serve(p, out, step);
        break;
      }
      if (engine_.arch() != Arch::Rv32 && r.trap_imm != abi::kSvcImmediate) {
        m.report = "unknown trap: SVC #" + std::to_string(r.trap_imm) + " at " +
                   describe_pc(r.pc - 2, p.image, p.lines);
        end(p, Outcome::UnknownTrap);
        step.end_turn = true;
        break;
      }
      ++m.syscalls;
      dispatch(p, step);
      break;
    case emu::StopReason::Fault:
      if (debugging_) {
        // A debugger sees the fault first, with the PC at the faulting instruction; the policy applies when
        // the partition next runs.
        p.pending_fault = *r.fault;
        step.stop = DebugStop{DebugStop::Kind::Fault, p.id, *r.fault};
        step.end_turn = true;
        break;
      }
      apply_fault(p, *r.fault, step);
      break;
    case emu::StopReason::Budget:
      if (r.breakpoint) {
        p.skip_breakpoint = true;
        step.stop = DebugStop{DebugStop::Kind::Breakpoint, p.id, std::nullopt};
        step.end_turn = true;
      }
      break;
    case emu::StopReason::Halted:
      m.report = "module halted the CPU (WFI) at " + describe_pc(r.pc, p.image, p.lines);
      end(p, Outcome::Halted);
      step.end_turn = true;
      break;
    case emu::StopReason::HostError:
      throw std::runtime_error(p.name + ": engine error: " + r.error);
  }
}

// ---- Isolation oracle ----

void System::check_isolation(Partition& p) {
  // The unit in force must be this partition's, and its decoded table may grant the unprivileged module
  // nothing beyond the partition's own regions and declared shares (its layout grants).
  if (engine_.protection_unit() != p.unit.get())
    throw IsolationError("after the switch to `" + p.name + "` the protection unit in force is not its own");
  const std::uint64_t gen = p.unit->generation();
  if (gen == p.isolation_checked) return;  // the same decoded table was proven already
  // A personality reprograms the unit as the process runs (Tock: the break); it says what it grants now.
  const std::vector<layout::Grant> grants =
      p.personality ? p.personality->grants() : checked_.partitions[p.layout_index].grants;
  for (const layout::MapPiece& piece :
       layout::effective_map(*p.unit, {0, 1ull << 32}, Privilege::Unprivileged)) {
    if (piece.perms == Perms::None) continue;
    // Every byte of the piece must be granted at least `piece.perms` (X implies R on these units).
    std::uint64_t a = piece.range.base;
    while (a < piece.range.end()) {
      const layout::Grant* g = nullptr;
      for (const auto& gr : grants)
        if (gr.range.contains(a)) g = &gr;
      Perms allowed = Perms::None;
      std::uint64_t next = piece.range.end();
      if (g) {
        allowed = g->perms;
        if (has(allowed, Perms::X)) allowed = allowed | Perms::R;
        next = std::min(next, g->range.end());
      } else {
        for (const auto& gr : grants)
          if (gr.range.base > a) next = std::min(next, gr.range.base);
      }
      if ((piece.perms & ~allowed) != Perms::None)
        throw IsolationError("isolation broken: after the switch to `" + p.name + "` it may " +
                             std::string(to_string(piece.perms)) + " " + hex(a) + "-" + hex(next - 1) +
                             ", where its layout grants " + std::string(to_string(allowed)) + "\n  " +
                             regions_in_force(p));
      a = next;
    }
  }
  p.isolation_checked = gen;
}

// ---- The scheduler ----

void System::turn(Partition& p, std::uint64_t limit) {
  // The context switch: the partition's registers, then its programming (a unit swap flushes the TLB).
  engine_.restore_context(p.context);
  engine_.set_protection_unit(p.unit.get());
  ++switches_;
  ++p.res.scheduled;
  if (observer_) observer_->on_switch(p.id, now_);
  if (p.ret) {
    const AbiRegs& r = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
    engine_.set_reg(r.result, (*p.ret)[0]);
    engine_.set_reg(r.result + 1, (*p.ret)[1]);
    p.ret.reset();
  }
  if (options_.check_isolation) check_isolation(p);
  std::uint64_t used = 0;
  Step step;
  if (p.pending_fault) {  // a fault a debugger was shown: its policy applies now
    const Fault f = *p.pending_fault;
    p.pending_fault.reset();
    apply_fault(p, f, step);
  }
  if (p.personality && p.personality_blocked && p.state == State::Ready) {
    p.personality_blocked = false;
    PersonalityContext ctx = personality_context(p);
    serve(p, p.personality->resume(ctx), step);
  }
  if (p.skip_breakpoint) {
    engine_.skip_breakpoint_once();
    p.skip_breakpoint = false;
  }
  const std::uint64_t slice = std::min(options_.slice, limit);
  while (p.state == State::Ready && !step.end_turn && used < slice &&
         executed() < options_.max_instructions) {
    const std::uint64_t budget = std::min(slice - used, options_.max_instructions - executed());
    const emu::RunResult r = engine_.run(budget);
    used += r.instructions;
    handle(p, r, step);
    if (r.reason == emu::StopReason::Budget) used = std::max(used, slice);
  }
  if (step.stop) debug_stop_ = step.stop;
  engine_.save_context(p.context);
}

void System::prepare(const SystemOptions& options) {
  options_ = options;
  options_.slice = std::max<std::uint64_t>(options_.slice, 1);
  options_.tick = std::max<std::uint64_t>(options_.tick, 1);
  for (auto& p : partitions_)
    if (auto in = options_.input.find(p->name); in != options_.input.end()) p->input = in->second;
}

bool System::schedule(std::uint64_t limit) {
  wake_expired();
  if (halted_ || executed() >= options_.max_instructions) return false;
  const std::size_t n = partitions_.size();
  Partition* next = nullptr;
  for (std::size_t k = 0; k < n && !next; ++k) {
    Partition& q = *partitions_[(cursor_ + k) % n];
    if (q.state == State::Ready) {
      next = &q;
      cursor_ = (cursor_ + k + 1) % n;
    }
  }
  if (next) {
    turn(*next, limit);
    return true;
  }
  // Nobody is ready: skip idle time to the first deadline, or stop when nothing can ever wake anyone.
  std::uint64_t first = kNever;
  for (auto& p : partitions_)
    if (p->state != State::Done) first = std::min(first, p->deadline);
  if (first == kNever) {
    for (auto& p : partitions_) {
      if (p->state == State::Done) continue;
      p->res.result.report =
          "blocked in " + std::string(to_string(p->state)) + " with nothing left to wake it";
      end(*p, Outcome::Deadlocked);
    }
    return false;
  }
  idle_ += first - now_;
  now_ = first;
  return true;
}

std::vector<PartitionResult> System::finish() {
  auto logger = log::get("kernel");
  std::vector<PartitionResult> out;
  for (auto& p : partitions_) {
    if (p->state != State::Done) {
      p->res.result.outcome = Outcome::BudgetExhausted;
      p->res.result.report =
          "system instruction budget of " + std::to_string(options_.max_instructions) + " exhausted";
    }
    logger->debug("{}: {} after {} instructions", p->name, to_string(p->res.result.outcome),
                  p->res.result.instructions);
    out.push_back(p->res);
  }
  return out;
}

std::vector<PartitionResult> System::run(const SystemOptions& options) {
  prepare(options);
  while (schedule(kNever)) {
  }
  return finish();
}

// ---- The debugger's view (gdbstub's SystemTarget) ----

void System::debug_begin(const SystemOptions& options) {
  prepare(options);
  debugging_ = true;
  engine_.enable_exact_pc();
}

bool System::debug_live(int id) const {
  return id >= 0 && static_cast<std::size_t>(id) < partitions_.size() &&
         partitions_[static_cast<std::size_t>(id)]->state != State::Done;
}

bool System::debug_finished() const {
  return halted_ || executed() >= options_.max_instructions ||
         std::none_of(partitions_.begin(), partitions_.end(),
                      [](auto& p) { return p->state != State::Done; });
}

System::DebugStop System::debug_resume(std::uint64_t max_instructions) {
  debug_stop_.reset();
  const std::uint64_t start = executed();
  while (!debug_stop_ && executed() - start < max_instructions) {
    if (!schedule(max_instructions - (executed() - start))) break;
  }
  if (debug_stop_) return *debug_stop_;
  return {debug_finished() ? DebugStop::Kind::Done : DebugStop::Kind::None, -1, std::nullopt};
}

System::DebugStop System::debug_step(int id) {
  debug_stop_.reset();
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  if (p.state == State::Done) return {DebugStop::Kind::Done, id, std::nullopt};
  if (p.state != State::Ready) {
    // Blocked in a call: time passes (others run) until it is woken, as on the hardware a step over the
    // trap instruction would wait for the kernel to return.
    while (p.state != State::Ready && !debug_stop_ && schedule(kNever)) {
    }
    if (debug_stop_) return *debug_stop_;
    if (p.state != State::Ready) return {DebugStop::Kind::Done, id, std::nullopt};
  }
  turn(p, 1);
  if (debug_stop_) return *debug_stop_;
  if (debug_finished()) return {DebugStop::Kind::Done, id, std::nullopt};
  return {DebugStop::Kind::Stepped, id, std::nullopt};
}

std::uint32_t System::debug_reg(int id, unsigned n) {
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  engine_.restore_context(p.context);
  const bool rv = engine_.arch() == Arch::Rv32;
  if (!rv && n == 25) return engine_.xpsr();
  if (rv && n == 32) return engine_.pc();
  return engine_.reg(n);
}

void System::debug_set_reg(int id, unsigned n, std::uint32_t value) {
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  engine_.restore_context(p.context);
  const bool rv = engine_.arch() == Arch::Rv32;
  if (!rv && n == 25)
    engine_.set_xpsr(value);
  else if (rv && n == 32)
    engine_.set_pc(value);
  else
    engine_.set_reg(n, value);
  engine_.save_context(p.context);
}

}  // namespace bulkhead::kernel_shim

namespace bulkhead::kernel_shim {

namespace {

std::string access_text(Perms p) {
  std::string s;
  if (has(p, Perms::R) || has(p, Perms::X)) s += 'r';  // execute needs read on Arm and PMP alike
  if (has(p, Perms::W)) s += 'w';
  if (has(p, Perms::X)) s += 'x';
  return s;
}

}  // namespace

std::string audit_report(const layout::CheckResult& checked, const std::vector<PartitionResult>& results) {
  // Grouping key: which partition's region (or which unclaimed 4 KiB page) an audited access touched.
  struct Group {
    std::string owner, region;  // empty owner: memory no partition claims
    AddressRange claimed;       // the region, or the span of the accesses for unclaimed memory
    Perms need = Perms::None;
    std::uint64_t lo = ~0ull, hi = 0, count = 0;
    std::vector<const AuditRecord*> records;
  };
  const std::uint64_t g =
      checked.layout.target.unit.arch == Arch::Rv32 ? 4 : 32;  // PMP NA4 / Arm MPU granule
  std::ostringstream out;
  for (const PartitionResult& pr : results) {
    if (pr.audited.empty()) continue;
    std::vector<Group> groups;
    for (const AuditRecord& r : pr.audited) {
      std::string owner, region;
      AddressRange claimed{};
      for (const auto& cp : checked.partitions)
        for (const auto& reg : cp.regions)
          if (reg.range.contains(r.address)) {
            owner = cp.name;
            region = reg.name;
            claimed = reg.range;
          }
      if (owner.empty()) {
        claimed = {r.address / kPage * kPage, kPage};
        region = hex(claimed.base);
      }
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const Group& x) { return x.owner == owner && x.region == region; });
      if (it == groups.end()) {
        groups.push_back({owner, region, claimed, Perms::None, ~0ull, 0, 0, {}});
        it = groups.end() - 1;
      }
      it->need = it->need | perm_for(r.access);
      it->lo = std::min<std::uint64_t>(it->lo, r.address);
      it->hi = std::max<std::uint64_t>(it->hi, std::uint64_t{r.address} + std::max(r.size, 1u));
      it->count += r.count;
      it->records.push_back(&r);
    }
    out << "audit: partition `" << pr.name << "`: " << pr.audited.size() << " distinct out-of-layout access"
        << (pr.audited.size() == 1 ? "" : "es") << "\n";
    for (const Group& grp : groups) {
      if (grp.owner == pr.name) {
        out << "  its own region `" << grp.region << "` " << hex(grp.claimed.base) << "+"
            << hex(grp.claimed.size) << ": needs " << access_text(grp.need) << " (" << grp.count << " time"
            << (grp.count == 1 ? "" : "s") << ")\n    smallest change: in partition `" << pr.name
            << "`, region `" << grp.region << "`: access = \"" << access_text(grp.need)
            << "\" (merged with what it has)\n";
      } else if (!grp.owner.empty()) {
        out << "  partition `" << grp.owner << "`'s region `" << grp.region << "` " << hex(grp.claimed.base)
            << "+" << hex(grp.claimed.size) << ": " << access_text(grp.need) << " (" << grp.count << " time"
            << (grp.count == 1 ? "" : "s") << ")\n    smallest change: make `" << grp.owner << "."
            << grp.region << "` kind = \"shared\" (if it is not) and give `" << pr.name
            << "` [[partition.share]] partition = \"" << grp.owner << "\", region = \"" << grp.region
            << "\", access = \"" << (has(grp.need, Perms::W) ? "rw" : "r") << "\"\n";
      } else {
        const std::uint64_t lo = grp.lo / g * g;
        const std::uint64_t hi = (grp.hi + g - 1) / g * g;
        out << "  memory no partition claims, " << hex(grp.lo) << "-" << hex(grp.hi - 1) << ": "
            << access_text(grp.need) << " (" << grp.count << " time" << (grp.count == 1 ? "" : "s")
            << ")\n    smallest change: give `" << pr.name << "` [[partition.region]] base = " << hex(lo)
            << ", size = " << hex(hi - lo) << ", access = \"" << access_text(grp.need) << "\""
            << (lo >= 0x4000'0000 && lo < 0x6000'0000 ? ", kind = \"peripheral\"" : "") << "\n";
      }
      for (const AuditRecord* r : grp.records)
        out << "      " << to_string(r->access) << " " << hex(r->address) << " size " << r->size << " at pc "
            << hex(r->pc) << " x" << r->count << "\n";
    }
  }
  return out.str();
}

}  // namespace bulkhead::kernel_shim
