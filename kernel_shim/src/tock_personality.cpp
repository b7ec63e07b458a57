// Tock's TRD104 system calls (doc/reference/trd104-syscalls.md) for one process. Numbers and return encodings
// follow the TRD and the Tock kernel (kernel/src/syscall.rs encode_syscall_return_trd104,
// kernel/src/memop.rs, kernel/src/process_standard.rs brk,
// capsules/core/src/{alarm,console,low_level_debug}).
#include "tock_personality.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "bulkhead/layout/encode.hpp"
#include "bulkhead/layout/tock.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::kernel_shim {
namespace {

// TRD104 3.2: the variant in r0/a0.
constexpr std::uint32_t kFailure = 0, kFailure2U32 = 2;
constexpr std::uint32_t kSuccess = 128, kSuccessU32 = 129, kSuccess2U32 = 130;
// TRD104 3.3 / kernel/src/errorcode.rs.
constexpr std::uint32_t kEAlready = 3, kEInval = 6, kENoMem = 9, kENoSupport = 10, kENoDevice = 11;
// TRD104 4: the classes (Arm: the SVC immediate; RISC-V: a4).
constexpr std::uint32_t kYield = 0, kSubscribe = 1, kCommand = 2, kAllowRw = 3, kAllowRo = 4, kMemop = 5,
                        kExit = 6;
// capsules/core/src/driver.rs.
constexpr std::uint32_t kAlarm = 0x0, kConsole = 0x1, kLowLevelDebug = 0x8;
// The alarm counts guest instructions: one tick per instruction, said to be 1 MHz (deterministic time).
constexpr std::uint32_t kAlarmHz = 1'000'000;

// Upcall, read-write and read-only allow slots per driver (each capsule's grant: UpcallCount, Allow*Count).
struct Shape {
  std::uint32_t upcalls, allow_rw, allow_ro;
};
std::optional<Shape> shape_of(std::uint32_t driver) {
  switch (driver) {
    case kAlarm:
      return Shape{1, 0, 0};  // upcall 0: expired
    case kConsole:
      return Shape{3, 2, 2};  // upcalls 1 write done, 2 read done; rw 1 read buffer; ro 1 write buffer
    case kLowLevelDebug:
      return Shape{0, 0, 0};
    default:
      return std::nullopt;
  }
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint32_t align_up(std::uint64_t v, std::uint64_t a) {
  return static_cast<std::uint32_t>((v + a - 1) / a * a);
}

class TockPersonality final : public Personality {
 public:
  explicit TockPersonality(TockProcessSpec spec)
      : spec_(std::move(spec)), rv_(spec_.unit.arch == Arch::Rv32) {
    if (!spec_.protection) throw std::invalid_argument("Tock process `" + spec_.name + "` has no unit");
    brk_ = spec_.memory.initial_brk;
    if (!program(brk_))
      throw std::invalid_argument("Tock process `" + spec_.name + "`: its memory cannot be encoded in " +
                                  std::to_string(spec_.slots.size()) + " regions/entries");
  }

  std::string_view abi() const override { return "tock"; }

  void start(emu::Engine& e) override {
    if (started_) ++restarts_;
    started_ = true;
    brk_ = spec_.memory.initial_brk;
    high_water_ = spec_.memory.mem_start;
    subs_.clear();
    allow_rw_.clear();
    allow_ro_.clear();
    queue_.clear();
    alarm_.reset();
    wait_ = Wait::None;
    program(brk_);
    // Entry (docs/tock.md; process_standard.rs): r0/a0 = the app binary's start (after the protected region),
    // r1/a1 = mem_start, r2/a2 = memory length, r3/a3 = app break. Arm: SP = app break, PC = init | 1;
    // RISC-V: sp = mem_start.
    const layout::TockMemory& m = spec_.memory;
    const std::uint32_t args[4] = {m.flash_start + spec_.protected_size, m.mem_start, m.mem_size, brk_};
    for (unsigned i = 0; i < 4; ++i) e.set_reg(arg(i), args[i]);
    if (rv_) {
      e.set_reg(2, m.mem_start);
    } else {
      e.set_sp(brk_);
    }
    e.set_pc(m.entry);
  }

  CallOutcome syscall(PersonalityContext& ctx, std::uint32_t imm) override {
    emu::Engine& e = ctx.engine;
    // arch/cortex-m/src/syscall.rs: the class is the SVC immediate; arch/rv32i/src/syscall.rs: it is a4.
    const std::uint32_t cls = rv_ ? e.reg(14) : imm;
    std::uint32_t a[4];
    for (unsigned i = 0; i < 4; ++i) a[i] = e.reg(arg(i));
    CallOutcome out;
    out.number = cls;
    for (unsigned i = 0; i < 4; ++i) out.args[i] = a[i];
    ++syscalls_;
    last_ = describe(cls, a);
    switch (cls) {
      case kYield:
        return yield(ctx, a, out);
      case kSubscribe:
        subscribe(e, a);
        break;
      case kCommand:
        command(ctx, a);
        break;
      case kAllowRw:
      case kAllowRo:
        allow(e, cls, a);
        break;
      case kMemop:
        memop(e, a);
        break;
      case kExit:
        // TRD104 4.7: 0 exit-terminate, 1 exit-restart; r1 = completion code. Exit does not return.
        if (a[0] == 0 || a[0] == 1) {
          out.after = a[0] == 0 ? After::Exit : After::Restart;
          out.exit_code = static_cast<std::int32_t>(a[1]);
          return out;
        }
        failure(e, kENoSupport);
        break;
      default:
        failure(e, kENoSupport);  // kernel.rs: an unknown class gets Failure(NOSUPPORT)
        break;
    }
    out.result = static_cast<std::int32_t>(e.reg(arg(0)));
    return out;
  }

  CallOutcome resume(PersonalityContext& ctx) override {
    CallOutcome out;
    poll(ctx.now);
    if (wait_ == Wait::None) return out;
    if (try_finish_wait(ctx.engine)) return out;
    out.after = After::Block;
    out.wake_at = alarm_ ? alarm_->deadline : out.wake_at;
    return out;
  }

  std::vector<layout::Grant> grants() const override { return grants_for(brk_); }

  std::string fault_report(const Fault& f, const std::string& base,
                           const std::string& regions) const override {
    // Tock's process fault output (process_standard.rs print_full_process): the app and its state, the last
    // syscall, the memory map from the grant region down to flash, then what the MPU had in force.
    (void)f;
    const layout::TockMemory& m = spec_.memory;
    auto line = [](std::uint32_t addr, const char* mark, const std::string& what) {
      return "   " + hex(addr) + " " + mark + " " + what + "\n";
    };
    auto span = [](const std::string& what, std::uint64_t bytes) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "              | %-34s %7llu bytes\n", what.c_str(),
                    static_cast<unsigned long long>(bytes));
      return std::string(buf);
    };
    std::string s = "process `" + spec_.name + "` faulted: " + base + "\n";
    s += " App: " + spec_.name + "   -   [Faulted]\n";
    s += "  Events Queued: " + std::to_string(queue_.size()) +
         "   Syscall Count: " + std::to_string(syscalls_) + "   Restart Count: " + std::to_string(restarts_) +
         "\n";
    s += "  Last Syscall: " + (last_.empty() ? std::string("None") : last_) + "\n";
    s += "  Memory map:\n";
    s += line(m.mem_end(), "+", "RAM end (memop 3)");
    s += span("grant region (kernel only)", m.mem_end() - m.grant_start);
    s += line(m.grant_start, "+", "grant start (memop 6)");
    s += span("unused (above the app break)", m.grant_start - brk_);
    s += line(brk_, "+", "app break");
    s += span("app RAM: stack, data, heap (rw)", brk_ - m.mem_start);
    s += line(m.mem_start, "+", "RAM start (memop 2)");
    s += line(m.flash_end(), "+", "flash end (memop 5)");
    s += span("app flash (r-x)", m.flash_end() - m.flash_start - spec_.protected_size);
    s += span("TBF header and protected region", spec_.protected_size);
    s += line(m.flash_start, "+", "flash start (memop 4)");
    s += "  " + regions;
    return s;
  }

 private:
  enum class Wait : std::uint8_t { None, Any, For };
  using Key = std::pair<std::uint32_t, std::uint32_t>;  // (driver, number)
  struct Upcall {
    Key key;
    std::uint32_t fn = 0, userdata = 0;
    std::array<std::uint32_t, 3> args{};
  };
  struct Alarm {
    std::uint64_t deadline = 0;    // system time
    std::uint32_t expiration = 0;  // in ticks, as the app sees them
  };
  struct Buffer {
    std::uint32_t addr = 0, len = 0;
  };

  unsigned arg(unsigned i) const { return (rv_ ? 10u : 0u) + i; }

  // TRD104 3.2 encodings (syscall.rs encode_syscall_return_trd104): only the registers a variant names
  // change.
  void failure(emu::Engine& e, std::uint32_t err) {
    e.set_reg(arg(0), kFailure);
    e.set_reg(arg(1), err);
  }
  void failure2(emu::Engine& e, std::uint32_t err, std::uint32_t x, std::uint32_t y) {
    e.set_reg(arg(0), kFailure2U32);
    e.set_reg(arg(1), err);
    e.set_reg(arg(2), x);
    e.set_reg(arg(3), y);
  }
  void success(emu::Engine& e) { e.set_reg(arg(0), kSuccess); }
  void success1(emu::Engine& e, std::uint32_t x) {
    e.set_reg(arg(0), kSuccessU32);
    e.set_reg(arg(1), x);
  }
  void success2(emu::Engine& e, std::uint32_t x, std::uint32_t y) {
    e.set_reg(arg(0), kSuccess2U32);
    e.set_reg(arg(1), x);
    e.set_reg(arg(2), y);
  }

  std::string describe(std::uint32_t cls, const std::uint32_t* a) const {
    static const char* const names[] = {"Yield",         "Subscribe", "Command", "ReadWriteAllow",
                                        "ReadOnlyAllow", "Memop",     "Exit"};
    std::string s = cls < 7 ? names[cls] : "Class" + std::to_string(cls);
    s += " { " + hex(a[0]) + ", " + hex(a[1]) + ", " + hex(a[2]) + ", " + hex(a[3]) + " }";
    return s;
  }

  // ---- memory ----

  std::vector<layout::Grant> grants_for(std::uint32_t brk) const {
    const std::uint64_t g = layout::granule(spec_.unit);
    const layout::TockMemory& m = spec_.memory;
    std::vector<layout::Grant> out;
    out.push_back({{m.flash_start, align_up(m.flash_size, g)}, Perms::RX, layout::MemoryAttr::Normal});
    // The app's part of RAM, up to the break rounded up to the unit's granule (Tock's MPU code rounds the
    // same way: the break it enforces may lie above the one the app asked for).
    const std::uint32_t end = align_up(brk, g);
    if (end > m.mem_start)
      out.push_back({{m.mem_start, end - m.mem_start}, Perms::RW, layout::MemoryAttr::Normal});
    return out;
  }

  // Re-encodes the process's grants for break `brk` with Bulkhead's region compiler and loads them into its
  // unit (its own slots only; the kernel's stay). The engine sees the new generation at its next run.
  bool program(std::uint32_t brk) {
    const std::vector<layout::Grant> g = grants_for(brk);
    const layout::EncodeResult r = layout::encode(spec_.unit, g, spec_.slots);
    if (!r.encoding) return false;
    return layout::apply(r.encoding->programming, *spec_.protection);
  }

  bool in_ram(std::uint32_t addr, std::uint32_t len) const {
    const std::uint64_t end = std::uint64_t{addr} + len;
    return addr >= spec_.memory.mem_start && end <= brk_;
  }
  bool in_flash(std::uint32_t addr, std::uint32_t len) const {
    const std::uint64_t end = std::uint64_t{addr} + len;
    return addr >= spec_.memory.flash_start && end <= spec_.memory.flash_end();
  }

  // process_standard.rs brk: the break may not go below the highest allowed buffer (nor mem_start), nor above
  // the kernel memory break (grant start), and the MPU must be able to encode it; else NOMEM (memop.rs).
  bool set_brk(std::uint64_t brk) {
    if (brk < high_water_ || brk > spec_.memory.grant_start) return false;
    if (!program(static_cast<std::uint32_t>(brk))) {
      program(brk_);
      return false;
    }
    brk_ = static_cast<std::uint32_t>(brk);
    return true;
  }

  // ---- upcalls ----

  void schedule(Key key, std::array<std::uint32_t, 3> args) {
    const auto it = subs_.find(key);
    Upcall u;
    u.key = key;
    if (it != subs_.end()) {
      u.fn = it->second.addr;
      u.userdata = it->second.len;
    }
    u.args = args;
    queue_.push_back(u);
  }

  void poll(std::uint64_t now) {
    // alarm.rs: an expired alarm is cleared and upcall 0 gets (now, reference + dt, 0).
    if (alarm_ && now >= alarm_->deadline) {
      const std::uint32_t expiration = alarm_->expiration;
      alarm_.reset();
      schedule({kAlarm, 0}, {static_cast<std::uint32_t>(now), expiration, 0});
    }
  }

  // Runs the first pending upcall whose function is not null: cortex-m/src/syscall.rs and
  // rv32i/src/syscall.rs set_process_function: r0-r3/a0-a3 = the three arguments and the userdata, the return
  // address (the instruction after the yield) in LR (with the Thumb bit) or ra, PC = the function. The stack
  // pointer stays where the app left it.
  bool deliver_one(emu::Engine& e) {
    const auto it = std::find_if(queue_.begin(), queue_.end(), [](const Upcall& u) { return u.fn != 0; });
    if (it == queue_.end()) return false;
    const Upcall u = *it;
    queue_.erase(it);
    for (unsigned i = 0; i < 3; ++i) e.set_reg(arg(i), u.args[i]);
    e.set_reg(arg(3), u.userdata);
    const std::uint32_t ret = e.pc();
    if (rv_) {
      e.set_reg(1, ret);
    } else {
      e.set_reg(14, ret | 1u);
    }
    e.set_pc(u.fn);
    return true;
  }

  // yield-wait-for (TRD104 4.1.3): the upcall is not called; its arguments come back in r0-r2 / a0-a2.
  bool take_waited_for(emu::Engine& e) {
    const auto it =
        std::find_if(queue_.begin(), queue_.end(), [&](const Upcall& u) { return u.key == wait_key_; });
    if (it == queue_.end()) return false;
    for (unsigned i = 0; i < 3; ++i) e.set_reg(arg(i), it->args[i]);
    queue_.erase(it);
    return true;
  }

  bool try_finish_wait(emu::Engine& e) {
    const bool done = wait_ == Wait::Any ? deliver_one(e) : take_waited_for(e);
    if (done) wait_ = Wait::None;
    return done;
  }

  // ---- the classes ----

  CallOutcome& yield(PersonalityContext& ctx, const std::uint32_t* a, CallOutcome& out) {
    emu::Engine& e = ctx.engine;
    poll(ctx.now);
    switch (a[0]) {
      case 0: {  // yield-no-wait: run one pending upcall if any; the byte at r1 tells the app whether one ran
        const bool ran = deliver_one(e);
        if (a[1] != 0 && in_ram(a[1], 1)) {
          const std::uint8_t flag = ran ? 1 : 0;
          e.write_memory(a[1], {&flag, 1});
        }
        return out;
      }
      case 1:  // yield-wait: run one upcall, blocking until there is one
        wait_ = Wait::Any;
        break;
      case 2:  // yield-wait-for(driver, subscribe number)
        wait_ = Wait::For;
        wait_key_ = {a[1], a[2]};
        break;
      default:
        return out;  // kernel.rs: an unknown yield type returns at once
    }
    if (try_finish_wait(e)) return out;
    out.after = After::Block;
    if (alarm_) out.wake_at = alarm_->deadline;
    return out;
  }

  void subscribe(emu::Engine& e, const std::uint32_t* a) {
    // TRD104 4.2: r0 driver, r1 subscribe number, r2 upcall pointer, r3 userdata. Success returns the
    // previous pair; failure returns the ones passed. A new subscription drops upcalls still queued for the
    // number (kernel.rs remove_pending_upcalls).
    const auto shape = shape_of(a[0]);
    if (!shape) return failure2(e, kENoDevice, a[2], a[3]);
    if (a[1] >= shape->upcalls) return failure2(e, kEInval, a[2], a[3]);
    const Key key{a[0], a[1]};
    const Buffer prev = subs_[key];
    subs_[key] = {a[2], a[3]};
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const Upcall& u) { return u.key == key; }),
                 queue_.end());
    success2(e, prev.addr, prev.len);
  }

  void allow(emu::Engine& e, std::uint32_t cls, const std::uint32_t* a) {
    // TRD104 4.4/4.5: r0 driver, r1 allow number, r2 address, r3 length. A read-write buffer must lie in the
    // process's accessible RAM, a read-only one in its RAM or its flash (process_standard.rs
    // in_app_owned_memory / in_app_flash_memory); otherwise INVAL. A zero length always passes (NULL
    // revokes).
    const std::uint32_t addr = a[2], len = a[3];
    const auto shape = shape_of(a[0]);
    if (!shape) return failure2(e, kENoDevice, addr, len);
    const bool rw = cls == kAllowRw;
    if (a[1] >= (rw ? shape->allow_rw : shape->allow_ro)) return failure2(e, kEInval, addr, len);
    if (len != 0 && !(in_ram(addr, len) || (!rw && in_flash(addr, len))))
      return failure2(e, kEInval, addr, len);
    if (len != 0 && in_ram(addr, len))
      high_water_ = std::max<std::uint64_t>(high_water_, std::uint64_t{addr} + len);
    auto& table = rw ? allow_rw_ : allow_ro_;
    const Key key{a[0], a[1]};
    const Buffer prev = table[key];
    table[key] = {addr, len};
    success2(e, prev.addr, prev.len);
  }

  void memop(emu::Engine& e, const std::uint32_t* a) {
    // kernel/src/memop.rs; TRD104 4.6.
    const layout::TockMemory& m = spec_.memory;
    switch (a[0]) {
      case 0:  // brk(address)
        return set_brk(a[1]) ? success(e) : failure(e, kENoMem);
      case 1: {  // sbrk(increment): Success with the previous break
        const std::uint32_t old = brk_;
        const std::int64_t want = std::int64_t{old} + static_cast<std::int32_t>(a[1]);
        if (want < 0 || !set_brk(static_cast<std::uint64_t>(want))) return failure(e, kENoMem);
        return success1(e, old);
      }
      case 2:
        return success1(e, m.mem_start);
      case 3:
        return success1(e, m.mem_end());
      case 4:
        return success1(e, m.flash_start);
      case 5:
        return success1(e, m.flash_end());
      case 6:
        return success1(e, m.grant_start);
      case 7:
        return success1(e, 0);  // no writeable flash regions
      case 8:
      case 9:
        return failure(e, kEInval);  // no such writeable flash region
      case 10:
      case 11:
        return success(e);  // stack top / heap start hints: only for debugging output
      default:
        return failure(e, kENoSupport);
    }
  }

  void command(PersonalityContext& ctx, const std::uint32_t* a) {
    emu::Engine& e = ctx.engine;
    const std::uint32_t driver = a[0], cmd = a[1];
    const std::uint32_t now32 = static_cast<std::uint32_t>(ctx.now);
    switch (driver) {
      case kAlarm:
        switch (cmd) {
          case 0:
            return success(e);
          case 1:
            return success1(e, kAlarmHz);
          case 2:
            return success1(e, now32);
          case 3:  // stop: ALREADY when no alarm is set
            if (!alarm_) return failure(e, kEAlready);
            alarm_.reset();
            return success(e);
          case 5:    // relative: r2 = dt from now
          case 6: {  // absolute: r2 = reference, r3 = dt
            const std::uint32_t reference = cmd == 5 ? now32 : a[2];
            const std::uint32_t dt = cmd == 5 ? a[2] : a[3];
            const std::uint32_t elapsed = now32 - reference;  // wrapping, as Ticks are
            const std::uint32_t remaining = elapsed >= dt ? 0 : dt - elapsed;
            alarm_ = Alarm{ctx.now + remaining, reference + dt};
            return success1(e, reference + dt);
          }
          default:
            return failure(e, kENoSupport);  // 4 (deprecated) and unknown
        }
      case kConsole:
        switch (cmd) {
          case 0:
            return success(e);
          case 1: {  // write r2 bytes of read-only allow 1; upcall 1 (bytes written, 0, 0)
            const Buffer b = allow_ro_[{kConsole, 1}];
            const std::uint32_t n = std::min(a[2], b.len);
            std::vector<std::uint8_t> bytes(n);
            if (n > 0 && (in_ram(b.addr, n) || in_flash(b.addr, n))) {
              e.read_memory(b.addr, bytes);
              ctx.console(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
            }
            schedule({kConsole, 1}, {n, 0, 0});
            return success(e);
          }
          case 2: {  // read up to r2 bytes into read-write allow 1; upcall 2 (status, length, 0)
            const Buffer b = allow_rw_[{kConsole, 1}];
            const std::uint32_t n =
                static_cast<std::uint32_t>(std::min<std::size_t>({a[2], b.len, ctx.input.size()}));
            if (n > 0 && in_ram(b.addr, n)) {
              e.write_memory(b.addr, {reinterpret_cast<const std::uint8_t*>(ctx.input.data()), n});
              ctx.input_used = n;
            }
            schedule({kConsole, 2}, {0, ctx.input_used == n ? n : 0, 0});
            return success(e);
          }
          case 3:  // abort read: reads complete at once, nothing to abort
            return success(e);
          default:
            return failure(e, kENoSupport);
        }
      case kLowLevelDebug: {
        // capsules/core/src/low_level_debug: 1 alert code, 2 print one number, 3 print two.
        const std::string app = "LowLevelDebug: App " + hex_short(spec_.app_id);
        switch (cmd) {
          case 0:
            return success(e);
          case 1:
            ctx.console(app + " alert code " + hex_short(a[2]) + "\n");
            return success(e);
          case 2:
            ctx.console(app + " prints " + hex_short(a[2]) + "\n");
            return success(e);
          case 3:
            ctx.console(app + " prints " + hex_short(a[2]) + " " + hex_short(a[3]) + "\n");
            return success(e);
          default:
            return failure(e, kENoSupport);
        }
      }
      default:
        return failure(e, kENoDevice);  // TRD104 4.3: a driver that does not exist
    }
  }

  static std::string hex_short(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
  }

  TockProcessSpec spec_;
  bool rv_ = false;
  std::uint32_t brk_ = 0;
  std::uint64_t high_water_ = 0;
  std::map<Key, Buffer> subs_;  // (fn, userdata) kept as (addr, len)
  std::map<Key, Buffer> allow_rw_, allow_ro_;
  std::deque<Upcall> queue_;
  std::optional<Alarm> alarm_;
  Wait wait_ = Wait::None;
  Key wait_key_{};
  std::uint64_t syscalls_ = 0;
  std::string last_;
  std::uint32_t restarts_ = 0;
  bool started_ = false;
};

}  // namespace

TockImage load_tock_image(const layout::Partition& partition, Arch arch) {
  TockImage out{layout::load_tock_app(partition.elf_path, arch), {}, std::nullopt};
  const layout::TockMemory m = partition.tock ? *partition.tock : layout::place_tock_app(out.app, arch);
  loader::Image& img = out.image;
  img.path = partition.elf_path.string();
  img.arch = arch;
  img.entry = m.entry;
  img.thumb_entry = arch != Arch::Rv32;
  loader::Segment seg;
  seg.vaddr = seg.paddr = m.flash_start;
  seg.memsz = m.flash_size;
  seg.bytes = out.app.bytes;
  seg.bytes.resize(m.flash_size, 0);
  seg.perms = Perms::RX;
  img.segments.push_back(std::move(seg));
  // Symbols for reports from the ELF the TBF was packed from (tbfpack writes NAME.tbf next to NAME.elf).
  std::filesystem::path elf = partition.elf_path;
  elf.replace_extension(".elf");
  std::error_code ec;
  if (partition.elf_path.extension() == ".tbf" && std::filesystem::is_regular_file(elf, ec)) {
    try {
      loader::Image sym = loader::load_elf(elf);
      const bool same = sym.arch == arch || (arch == Arch::ArmV8M && sym.arch == Arch::ArmV7M);
      if (same) {
        img.symbols = std::move(sym.symbols);
        out.lines = loader::SourceLines::open(elf);
      }
    } catch (const loader::LoadError&) {
      // no symbols: reports name addresses only
    }
  }
  return out;
}

std::unique_ptr<Personality> make_tock_personality(TockProcessSpec spec) {
  return std::make_unique<TockPersonality>(std::move(spec));
}

}  // namespace bulkhead::kernel_shim
