// The remote-protocol layer without sockets: bytes in, bytes out, against a scripted target.
#include "bulkhead/gdbstub/session.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

namespace bulkhead::gdbstub {
namespace {

class FakeTarget : public Target {
 public:
  explicit FakeTarget(Arch a = Arch::ArmV7M) : arch_(a) {}
  Arch arch() const override { return arch_; }
  std::vector<ThreadId> threads() const override { return live; }
  std::string thread_name(ThreadId t) const override { return t == 1 ? "one" : "two"; }
  std::optional<std::uint32_t> read_register(ThreadId t, unsigned n) override {
    if (n == 3) return std::nullopt;  // shown as unavailable
    return regs[{t, n}];
  }
  bool write_register(ThreadId t, unsigned n, std::uint32_t v) override {
    regs[{t, n}] = v;
    return true;
  }
  bool read_memory(ThreadId, std::uint32_t a, std::span<std::uint8_t> out) override {
    if (a < kBase || a + out.size() > kBase + mem.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = mem[a - kBase + i];
    return true;
  }
  bool write_memory(ThreadId, std::uint32_t a, std::span<const std::uint8_t> in) override {
    if (a < kBase || a + in.size() > kBase + mem.size()) return false;
    for (std::size_t i = 0; i < in.size(); ++i) mem[a - kBase + i] = in[i];
    return true;
  }
  bool add_breakpoint(std::uint32_t a) override { return bps.insert(a).second || true; }
  bool remove_breakpoint(std::uint32_t a) override { return bps.erase(a) || true; }
  Stop step(ThreadId t) override {
    ++steps[t];
    return {StopKind::Signal, t, signal::kTrap, 0};
  }
  Stop resume(std::uint64_t) override {
    ++resumes;
    if (script.empty()) return {};
    Stop s = script.front();
    script.pop_front();
    return s;
  }

  static constexpr std::uint32_t kBase = 0x2000'0000;
  Arch arch_;
  std::vector<ThreadId> live{1, 2};
  std::map<std::pair<ThreadId, unsigned>, std::uint32_t> regs;
  std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(16);
  std::set<std::uint32_t> bps;
  std::map<ThreadId, int> steps;
  std::deque<Stop> script;
  int resumes = 0;
};

std::string pkt(std::string_view data) {
  return Session::frame(data);
}

// A session past the handshake's QStartNoAckMode: replies come without '+'.
struct NoAck {
  FakeTarget target;
  Session session{target};
  explicit NoAck(Arch a = Arch::ArmV7M) : target(a) {
    EXPECT_EQ(session.receive(pkt("QStartNoAckMode")), "+" + pkt("OK"));
  }
  std::string ask(std::string_view data) { return session.receive(pkt(data)); }
};

TEST(Session, FramesWithChecksumAndAcks) {
  EXPECT_EQ(Session::frame("OK"), "$OK#9a");
  FakeTarget t;
  Session s(t);
  const std::string reply = s.receive("$qSupported:multiprocess+;swbreak+#00");  // bad checksum
  EXPECT_EQ(reply, "-");
  EXPECT_EQ(s.receive(pkt("qSupported:multiprocess+;xmlRegisters=arm")),
            "+" + pkt("PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+"));
  // '-' asks for the last packet again; '+' and noise are ignored.
  EXPECT_EQ(s.receive("-"), pkt("PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+"));
  EXPECT_EQ(s.receive("+"), "");
  // A packet split across reads.
  const std::string q = pkt("?");
  EXPECT_EQ(s.receive(q.substr(0, 2)), "");
  EXPECT_EQ(s.receive(q.substr(2)), "+" + pkt("T05thread:1;"));
}

TEST(Session, NoAckModeSkipsAcksAndChecksums) {
  NoAck n;
  EXPECT_EQ(n.session.receive("$?#00"), pkt("T05thread:1;"));
  EXPECT_EQ(n.ask("vMustReplyEmpty"), pkt(""));
  EXPECT_EQ(n.ask("qTStatus"), pkt(""));
}

std::string read_xml(NoAck& n) {
  std::string xml;
  for (std::uint32_t off = 0;; off += 0x40) {
    char q[64];
    std::snprintf(q, sizeof q, "qXfer:features:read:target.xml:%x,40", off);
    const std::string r = n.ask(q);
    EXPECT_GE(r.size(), 5u);
    const std::string body = r.substr(2, r.size() - 5);
    xml += body;
    if (r[1] == 'l') break;
    EXPECT_EQ(r[1], 'm');
    if (off > 0x10000) break;
  }
  return xml;
}

TEST(Session, TargetDescriptions) {
  NoAck arm;
  const std::string a = read_xml(arm);
  EXPECT_NE(a.find("<architecture>arm</architecture>"), std::string::npos);
  EXPECT_NE(a.find("org.gnu.gdb.arm.m-profile"), std::string::npos);
  EXPECT_NE(a.find("name=\"xpsr\" bitsize=\"32\" regnum=\"25\""), std::string::npos);
  EXPECT_EQ(a, target_xml(Arch::ArmV7M));
  NoAck rv(Arch::Rv32);
  const std::string r = read_xml(rv);
  EXPECT_NE(r.find("riscv:rv32"), std::string::npos);
  EXPECT_NE(r.find("org.gnu.gdb.riscv.cpu"), std::string::npos);
  EXPECT_NE(r.find("name=\"pc\" bitsize=\"32\" regnum=\"32\""), std::string::npos);
  EXPECT_EQ(rv.ask("qXfer:features:read:other.xml:0,40"), pkt("E00"));
}

TEST(Session, RegistersInTargetOrderLittleEndian) {
  NoAck n;
  n.target.regs[{1, 0}] = 0x12345678;
  n.target.regs[{1, 15}] = 0x0800'0010;
  n.target.regs[{1, 25}] = 0x0100'0000;
  n.target.regs[{2, 0}] = 0xAABBCCDD;
  const std::string g = n.ask("g");
  ASSERT_EQ(g.size(), 17u * 8 + 4);
  EXPECT_EQ(g.substr(1, 8), "78563412");
  EXPECT_EQ(g.substr(1 + 3 * 8, 8), "xxxxxxxx");
  EXPECT_EQ(g.substr(1 + 15 * 8, 8), "10000008");
  EXPECT_EQ(g.substr(1 + 16 * 8, 8), "00000001");
  EXPECT_EQ(n.ask("p19"), pkt("00000001"));
  EXPECT_EQ(n.ask("p10"), pkt("E01"));  // 16-24: no such register in the m-profile description
  EXPECT_EQ(n.ask("Pf=20000008"), pkt("OK"));
  EXPECT_EQ((n.target.regs[{1, 15}]), 0x0800'0020u);
  EXPECT_EQ(n.ask("Hg2"), pkt("OK"));
  EXPECT_EQ(n.ask("p0"), pkt("ddccbbaa"));
  EXPECT_EQ(n.ask("Hg7"), pkt("E01"));
  // G writes every register; unavailable ones stay.
  std::string all;
  for (int i = 0; i < 17; ++i) all += i == 3 ? "xxxxxxxx" : "01000000";
  EXPECT_EQ(n.ask("G" + all), pkt("OK"));
  EXPECT_EQ((n.target.regs[{2, 25}]), 1u);
  EXPECT_EQ(n.target.regs.count({2, 3}), 0u);
}

TEST(Session, RiscvRegisterFile) {
  NoAck n(Arch::Rv32);
  n.target.regs[{1, 32}] = 0x8000'0004;
  const std::string g = n.ask("g");
  ASSERT_EQ(g.size(), 33u * 8 + 4);
  EXPECT_EQ(g.substr(1 + 32 * 8, 8), "04000080");
}

TEST(Session, Memory) {
  NoAck n;
  const std::uint32_t b = FakeTarget::kBase;
  EXPECT_EQ(n.ask("M20000000,4:deadbeef"), pkt("OK"));
  EXPECT_EQ(n.ask("m20000000,4"), pkt("deadbeef"));
  // Binary write: '}' escapes the next byte XOR 0x20 ('}' 0x5d stands for '}' 0x7d, '}' 0x03 for '#').
  EXPECT_EQ(n.session.receive(pkt("X20000004,3:a}]}\x03")), pkt("OK"));
  EXPECT_EQ(n.target.mem[4], 'a');
  EXPECT_EQ(n.target.mem[5], 0x7d);
  EXPECT_EQ(n.target.mem[6], '#');
  EXPECT_EQ(n.ask("X20000000,0:"), pkt("OK"));
  // Partial: what can be read from the start; nothing mapped: an error.
  EXPECT_EQ(n.ask("m2000000e,4"), pkt("0000"));
  EXPECT_EQ(n.ask("m10000000,4"), pkt("E01"));
  EXPECT_EQ(n.ask("M10000000,1:00"), pkt("E01"));
  EXPECT_EQ(n.ask("M20000000,2:00"), pkt("E01"));  // length mismatch
  (void)b;
}

TEST(Session, Breakpoints) {
  NoAck n;
  EXPECT_EQ(n.ask("Z0,8000010,2"), pkt("OK"));
  EXPECT_EQ(n.ask("Z1,8000020,2"), pkt("OK"));
  EXPECT_EQ(n.target.bps, (std::set<std::uint32_t>{0x0800'0010, 0x0800'0020}));
  EXPECT_EQ(n.ask("z0,8000010,2"), pkt("OK"));
  EXPECT_EQ(n.target.bps, (std::set<std::uint32_t>{0x0800'0020}));
  EXPECT_EQ(n.ask("Z2,20000000,4"), pkt(""));  // watchpoints: not supported
}

TEST(Session, StepAndVContStepTheRightThread) {
  NoAck n;
  EXPECT_EQ(n.ask("vCont?"), pkt("vCont;c;C;s;S"));
  EXPECT_EQ(n.ask("s"), pkt("T05thread:1;"));
  EXPECT_EQ(n.ask("vCont;s:2;c"), pkt("T05thread:2;"));
  EXPECT_EQ(n.target.steps[1], 1);
  EXPECT_EQ(n.target.steps[2], 1);
  EXPECT_EQ(n.ask("qC"), pkt("QC2"));  // the thread that stopped is the current one
  EXPECT_EQ(n.ask("Hc1"), pkt("OK"));
  EXPECT_EQ(n.ask("S0b"), pkt("T05thread:1;"));
  EXPECT_EQ(n.target.resumes, 0);
}

TEST(Session, ContinueRunsInSlicesUntilAStop) {
  NoAck n;
  n.target.script = {{}, {}, {StopKind::Signal, 2, signal::kSegv, 0}};
  EXPECT_EQ(n.ask("vCont;c"), "");
  EXPECT_TRUE(n.session.running());
  EXPECT_EQ(n.session.poll(), "");
  EXPECT_EQ(n.session.poll(), "");
  EXPECT_EQ(n.session.poll(), pkt("T0bthread:2;"));
  EXPECT_FALSE(n.session.running());
  EXPECT_EQ(n.target.resumes, 3);
  EXPECT_EQ(n.ask("?"), pkt("T0bthread:2;"));
}

TEST(Session, CtrlCInterruptsARun) {
  NoAck n;
  EXPECT_EQ(n.ask("c"), "");
  EXPECT_EQ(n.session.poll(), "");
  EXPECT_EQ(n.session.receive("\x03"), "");
  EXPECT_EQ(n.session.poll(), pkt("T02thread:1;"));
  EXPECT_FALSE(n.session.running());
  EXPECT_EQ(n.target.resumes, 1);
  EXPECT_EQ(n.session.receive("\x03"), "");  // not running: nothing to interrupt
  EXPECT_EQ(n.session.poll(), "");
}

TEST(Session, Threads) {
  NoAck n;
  EXPECT_EQ(n.ask("qfThreadInfo"), pkt("m1,2"));
  EXPECT_EQ(n.ask("qsThreadInfo"), pkt("l"));
  EXPECT_EQ(n.ask("qThreadExtraInfo,2"), pkt("74776f"));  // "two"
  EXPECT_EQ(n.ask("T2"), pkt("OK"));
  EXPECT_EQ(n.ask("T3"), pkt("E01"));
  EXPECT_EQ(n.ask("Hg0"), pkt("OK"));
  EXPECT_EQ(n.ask("Hc-1"), pkt("OK"));
  EXPECT_EQ(n.ask("qC"), pkt("QC1"));
  EXPECT_EQ(n.ask("qAttached"), pkt("0"));
  EXPECT_EQ(n.ask("qSymbol::"), pkt("OK"));
}

TEST(Session, ExitIsReportedOnceEveryThreadIsDone) {
  NoAck n;
  n.target.script = {{StopKind::Exited, 1, 0, 3}};
  EXPECT_EQ(n.ask("c"), "");
  n.target.live.clear();
  EXPECT_EQ(n.session.poll(), pkt("W03"));
  EXPECT_EQ(n.ask("?"), pkt("W03"));
  EXPECT_EQ(n.ask("g"), pkt("E01"));
  EXPECT_EQ(n.ask("qfThreadInfo"), pkt("l"));
  EXPECT_EQ(n.ask("s"), pkt("W03"));
  EXPECT_EQ(n.target.steps.size(), 0u);
}

TEST(Session, TerminatedBySignal) {
  NoAck n;
  n.target.script = {{StopKind::Terminated, 1, signal::kSegv, 0}};
  EXPECT_EQ(n.ask("c"), "");
  EXPECT_EQ(n.session.poll(), pkt("X0b"));
}

TEST(Session, KillAndDetachEndTheSession) {
  NoAck k;
  EXPECT_EQ(k.ask("k"), "");
  EXPECT_EQ(k.session.ended(), SessionEnd::Killed);
  EXPECT_EQ(k.ask("?"), "");  // nothing after the end
  NoAck v;
  EXPECT_EQ(v.ask("vKill;1"), pkt("OK"));
  EXPECT_EQ(v.session.ended(), SessionEnd::Killed);
  NoAck d;
  EXPECT_EQ(d.ask("D"), pkt("OK"));
  EXPECT_EQ(d.session.ended(), SessionEnd::Detached);
}

TEST(Session, UnknownPacketsGetTheEmptyReply) {
  NoAck n;
  EXPECT_EQ(n.ask("qOffsets"), pkt(""));
  EXPECT_EQ(n.ask("!"), pkt(""));
  EXPECT_EQ(n.ask("vFile:open:"), pkt(""));
}

TEST(FaultSignal, MapsFaultKinds) {
  EXPECT_EQ(fault_signal(FaultKind::MemManage), 11);
  EXPECT_EQ(fault_signal(FaultKind::BusFault), 11);
  EXPECT_EQ(fault_signal(FaultKind::AccessFault), 11);
  EXPECT_EQ(fault_signal(FaultKind::UsageFault), 4);
  EXPECT_EQ(fault_signal(FaultKind::IllegalInstruction), 4);
  EXPECT_EQ(fault_signal(FaultKind::Breakpoint), 5);
}

}  // namespace
}  // namespace bulkhead::gdbstub
