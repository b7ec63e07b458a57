// The Bulkhead ABI's calls (docs/abi.md) and the personality seam: decoding, pointer checks, IPC.
#include <algorithm>
#include <vector>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "report.hpp"
#include "system_internal.hpp"

namespace bulkhead::kernel_shim {

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

}  // namespace bulkhead::kernel_shim
