#include "bulkhead/gdbstub/session.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace bulkhead::gdbstub {
namespace {

constexpr std::string_view kSupported =
    "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+";
constexpr std::uint32_t kMaxMemoryReply = 0x1000;  // bytes per m reply (hex: 8 KiB of the 16 KiB PacketSize)

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  return v;
}

// "addr,len" (and what follows `sep`, if anything, into `rest`).
bool parse_range(std::string_view args, std::uint32_t& addr, std::uint32_t& len) {
  const auto comma = args.find(',');
  if (comma == std::string_view::npos) return false;
  const auto a = parse_hex(args.substr(0, comma));
  const auto l = parse_hex(args.substr(comma + 1));
  if (!a || !l || *a > 0xFFFF'FFFFull || *l > 0xFFFF'FFFFull) return false;
  addr = static_cast<std::uint32_t>(*a);
  len = static_cast<std::uint32_t>(*l);
  return true;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]);
    const int lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return true;
}

std::string hex_u32_le(std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                             static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  return to_hex(b);
}

std::optional<std::uint32_t> parse_u32_le(std::string_view hex) {
  std::vector<std::uint8_t> b;
  if (hex.size() != 8 || !from_hex(hex, b)) return std::nullopt;
  return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
         std::uint32_t{b[3]} << 24;
}

// Binary data in a reply: '#', '$', '}' and '*' are escaped as '}' followed by the byte XOR 0x20.
std::string escape_binary(std::string_view data) {
  std::string out;
  for (char c : data) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::uint8_t> unescape_binary(std::string_view data) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '}' && i + 1 < data.size())
      out.push_back(static_cast<std::uint8_t>(data[++i] ^ 0x20));
    else
      out.push_back(static_cast<std::uint8_t>(data[i]));
  }
  return out;
}

std::string hex_int(long long v) {
  char buf[24];
  if (v < 0)
    std::snprintf(buf, sizeof buf, "-%llx", -v);
  else
    std::snprintf(buf, sizeof buf, "%llx", v);
  return buf;
}

std::string hex_byte(int v) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02x", v & 0xFF);
  return buf;
}

}  // namespace

Session::Session(Target& target, std::uint64_t slice) : target_(target), slice_(slice == 0 ? 1 : slice) {
  const auto t = target_.threads();
  if (!t.empty()) last_stop_.thread = t.front();
}

std::uint8_t Session::checksum(std::string_view data) {
  unsigned sum = 0;
  for (char c : data) sum += static_cast<unsigned char>(c);
  return static_cast<std::uint8_t>(sum & 0xFF);
}

std::string Session::frame(std::string_view data) {
  return "$" + std::string(data) + "#" + hex_byte(checksum(data));
}

std::string Session::send(std::string_view data) {
  last_sent_ = frame(data);
  return last_sent_;
}

std::string Session::receive(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    switch (rx_) {
      case Rx::Idle:
        if (c == '$') {
          rx_ = Rx::Data;
          packet_.clear();
        } else if (c == '\x03') {
          if (running_) interrupt_ = true;
        } else if (c == '-' && ack_ && !last_sent_.empty()) {
          out += last_sent_;  // the debugger got our last packet garbled
        }
        break;  // '+' acks and noise between packets are ignored
      case Rx::Data:
        if (c == '#') {
          rx_ = Rx::Check1;
          check_.clear();
        } else {
          packet_ += c;
        }
        break;
      case Rx::Check1:
        check_ += c;
        rx_ = Rx::Check2;
        break;
      case Rx::Check2: {
        check_ += c;
        rx_ = Rx::Idle;
        if (ack_) {
          const auto sum = parse_hex(check_);
          if (!sum || *sum != checksum(packet_)) {
            out += '-';
            break;
          }
          out += '+';
        }
        if (ended_) break;
        std::string reply = handle(packet_);
        if (reply != "\x01") out += send(reply);
        break;
      }
    }
  }
  return out;
}

std::string Session::poll() {
  if (!running_) return "";
  if (interrupt_) {
    interrupt_ = false;
    running_ = false;
    return send(after_stop({StopKind::Signal, current(0), signal::kInt, 0}));
  }
  const Stop s = target_.resume(slice_);
  if (s.kind == StopKind::None) return "";
  running_ = false;
  return send(after_stop(s));
}

std::string Session::stop_reply(const Stop& s) {
  switch (s.kind) {
    case StopKind::Exited:
      return "W" + hex_byte(s.exit_code);
    case StopKind::Terminated:
      return "X" + hex_byte(s.signal);
    case StopKind::Signal:
    case StopKind::None:
      break;
  }
  return "T" + hex_byte(s.signal) + "thread:" + hex_int(s.thread) + ";";
}

std::string Session::after_stop(const Stop& s) {
  last_stop_ = s;
  if (s.kind == StopKind::Exited || s.kind == StopKind::Terminated) done_ = true;
  if (s.kind == StopKind::Signal) g_thread_ = s.thread;  // the debugger looks at the thread that stopped
  return stop_reply(s);
}

bool Session::alive(ThreadId thread) const {
  const auto t = target_.threads();
  return std::find(t.begin(), t.end(), thread) != t.end();
}

ThreadId Session::current(ThreadId selected) const {
  if (selected > 0 && alive(selected)) return selected;
  const auto t = target_.threads();
  if (!t.empty()) return t.front();
  return last_stop_.thread;
}

std::optional<ThreadId> Session::parse_thread(std::string_view text) const {
  if (text == "-1") return -1;
  const auto v = parse_hex(text);
  if (!v || *v > 0x7FFF'FFFF) return std::nullopt;
  return static_cast<ThreadId>(*v);
}

std::string Session::do_step(ThreadId thread) {
  if (done_) return stop_reply(last_stop_);
  return after_stop(target_.step(thread));
}

void Session::start_continue() {
  running_ = true;
  interrupt_ = false;
}

// One packet's reply, unframed; "\x01" for none (a continue in progress, or the session's end).
std::string Session::handle(std::string_view p) {
  if (p.empty()) return "";
  const char cmd = p.front();
  const std::string_view args = p.substr(1);
  switch (cmd) {
    case '?':
      return stop_reply(last_stop_);
    case 'g':
      return done_ ? "E01" : read_registers(current(g_thread_));
    case 'G':
      return done_ ? "E01" : write_registers(current(g_thread_), args);
    case 'p': {
      const auto n = parse_hex(args);
      if (!n || done_) return "E01";
      const auto& layout = register_layout(target_.arch());
      if (std::none_of(layout.begin(), layout.end(), [&](const RegisterInfo& r) { return r.regnum == *n; }))
        return "E01";
      const auto v = target_.read_register(current(g_thread_), static_cast<unsigned>(*n));
      return v ? hex_u32_le(*v) : "xxxxxxxx";
    }
    case 'P': {
      const auto eq = args.find('=');
      if (eq == std::string_view::npos || done_) return "E01";
      const auto n = parse_hex(args.substr(0, eq));
      const auto v = parse_u32_le(args.substr(eq + 1));
      if (!n || !v || *n > 0xFFFF) return "E01";
      return target_.write_register(current(g_thread_), static_cast<unsigned>(*n), *v) ? "OK" : "E01";
    }
    case 'm':
      return read_memory(args);
    case 'M':
      return write_memory(args, false);
    case 'X':
      return write_memory(args, true);
    case 'Z':
    case 'z':
      return breakpoint(p, cmd == 'Z');
    case 'c':
    case 'C': {
      if (done_) return stop_reply(last_stop_);
      // c [addr] / C sig[;addr]: the signal is not delivered (there are no guest signal handlers).
      std::string_view addr = args;
      if (cmd == 'C') {
        const auto semi = args.find(';');
        addr = semi == std::string_view::npos ? std::string_view{} : args.substr(semi + 1);
      }
      if (!addr.empty()) {
        const auto a = parse_hex(addr);
        if (!a) return "E01";
        target_.write_register(current(c_thread_), pc_regnum(target_.arch()), static_cast<std::uint32_t>(*a));
      }
      start_continue();
      return "\x01";
    }
    case 's':
    case 'S':
      return do_step(current(c_thread_));
    case 'H':
      return set_thread(p);
    case 'T': {
      const auto t = parse_thread(args);
      return t && *t > 0 && alive(*t) ? "OK" : "E01";
    }
    case 'q':
    case 'Q':
      return query(p);
    case 'v':
      return vcont(p);
    case 'k':
      ended_ = SessionEnd::Killed;
      return "\x01";
    case 'D':
      ended_ = SessionEnd::Detached;
      return "OK";
    default:
      return "";
  }
}

std::string Session::read_registers(ThreadId thread) {
  std::string out;
  for (const auto& r : register_layout(target_.arch())) {
    const auto v = target_.read_register(thread, r.regnum);
    out += v ? hex_u32_le(*v) : "xxxxxxxx";
  }
  return out;
}

std::string Session::write_registers(ThreadId thread, std::string_view hex) {
  const auto& layout = register_layout(target_.arch());
  if (hex.size() < layout.size() * 8) return "E01";
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const auto chunk = hex.substr(i * 8, 8);
    if (chunk.find('x') != std::string_view::npos) continue;  // unavailable: left as it is
    const auto v = parse_u32_le(chunk);
    if (!v) return "E01";
    if (!target_.write_register(thread, layout[i].regnum, *v)) return "E01";
  }
  return "OK";
}

std::string Session::read_memory(std::string_view args) {
  std::uint32_t addr = 0;
  std::uint32_t len = 0;
  if (!parse_range(args, addr, len)) return "E01";
  len = std::min({len, kMaxMemoryReply, static_cast<std::uint32_t>(0x1'0000'0000ull - addr)});
  std::vector<std::uint8_t> buf(len);
  const ThreadId t = current(g_thread_);
  if (target_.read_memory(t, addr, buf)) return to_hex(buf);
  // Part of it is not mapped: reply with what can be read from the start (GDB asks again for the rest).
  std::uint32_t n = 0;
  while (n < len && target_.read_memory(t, addr + n, std::span(buf).subspan(n, 1))) ++n;
  if (n == 0) return "E01";
  return to_hex(std::span(buf).first(n));
}

std::string Session::write_memory(std::string_view args, bool binary) {
  const auto colon = args.find(':');
  if (colon == std::string_view::npos) return "E01";
  std::uint32_t addr = 0;
  std::uint32_t len = 0;
  if (!parse_range(args.substr(0, colon), addr, len)) return "E01";
  std::vector<std::uint8_t> bytes;
  if (binary) {
    bytes = unescape_binary(args.substr(colon + 1));
  } else if (!from_hex(args.substr(colon + 1), bytes)) {
    return "E01";
  }
  if (bytes.size() != len) return "E01";
  if (len == 0) return "OK";  // GDB probes X support with an empty write
  return target_.write_memory(current(g_thread_), addr, bytes) ? "OK" : "E01";
}

std::string Session::breakpoint(std::string_view p, bool insert) {
  // Z0/z0 software, Z1/z1 hardware: both are the engine's breakpoints. Watchpoints (2-4) are not supported.
  if (p.size() < 3 || (p[1] != '0' && p[1] != '1') || p[2] != ',') return "";
  const auto rest = p.substr(3);
  const auto comma = rest.find(',');
  const auto addr = parse_hex(rest.substr(0, comma));
  if (!addr || *addr > 0xFFFF'FFFFull) return "E01";
  const auto a = static_cast<std::uint32_t>(*addr);
  return (insert ? target_.add_breakpoint(a) : target_.remove_breakpoint(a)) ? "OK" : "E01";
}

std::string Session::set_thread(std::string_view p) {
  if (p.size() < 3) return "E01";
  const auto t = parse_thread(p.substr(2));
  if (!t) return "E01";
  if (*t > 0 && !alive(*t)) return "E01";
  if (p[1] == 'g')
    g_thread_ = *t;
  else if (p[1] == 'c')
    c_thread_ = *t;
  else
    return "E01";
  return "OK";
}

std::string Session::query(std::string_view p) {
  if (p.starts_with("qSupported")) return std::string(kSupported);
  if (p == "QStartNoAckMode") {
    ack_ = false;  // after this reply, which is still acknowledged
    return "OK";
  }
  if (p.starts_with("qXfer:features:read:")) {
    const auto rest = p.substr(std::string_view("qXfer:features:read:").size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || rest.substr(0, colon) != "target.xml") return "E00";
    std::uint32_t off = 0;
    std::uint32_t len = 0;
    if (!parse_range(rest.substr(colon + 1), off, len)) return "E01";
    const std::string xml = target_xml(target_.arch());
    if (off >= xml.size()) return "l";
    const std::string chunk = xml.substr(off, len);
    return (off + chunk.size() >= xml.size() ? "l" : "m") + escape_binary(chunk);
  }
  if (p == "qfThreadInfo") {
    thread_cursor_ = 0;
    const auto t = target_.threads();
    if (t.empty()) return "l";
    std::string out = "m";
    for (std::size_t i = 0; i < t.size(); ++i) out += (i ? "," : "") + hex_int(t[i]);
    return out;
  }
  if (p == "qsThreadInfo") return "l";
  if (p == "qC") return "QC" + hex_int(current(g_thread_));
  if (p.starts_with("qAttached")) return "0";  // the stub started the module: quitting GDB kills it
  if (p.starts_with("qThreadExtraInfo,")) {
    const auto t = parse_thread(p.substr(std::string_view("qThreadExtraInfo,").size()));
    if (!t || !alive(*t)) return "E01";
    const std::string name = target_.thread_name(*t);
    return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
  }
  if (p.starts_with("qSymbol")) return "OK";
  return "";
}

std::string Session::vcont(std::string_view p) {
  if (p == "vCont?") return "vCont;c;C;s;S";
  if (p.starts_with("vKill")) {
    ended_ = SessionEnd::Killed;
    return "OK";
  }
  if (!p.starts_with("vCont;")) return "";
  // vCont;action[:thread];... All-stop: a step action steps its thread (the others stay stopped); with no
  // step action, a continue action resumes every thread.
  std::optional<ThreadId> step_thread;
  bool cont = false;
  std::string_view rest = p.substr(6);
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string_view action = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const auto colon = action.find(':');
    const char kind = action.empty() ? '\0' : action.front();
    std::optional<ThreadId> thread;
    if (colon != std::string_view::npos) {
      thread = parse_thread(action.substr(colon + 1));
      if (!thread) return "E01";
    }
    if ((kind == 's' || kind == 'S') && !step_thread)
      step_thread = thread && *thread > 0 ? *thread : current(c_thread_);
    else if (kind == 'c' || kind == 'C')
      cont = true;
    else if (kind != 's' && kind != 'S' && kind != 't')
      return "E01";
  }
  if (step_thread) return do_step(current(*step_thread));
  if (!cont) return "E01";
  if (done_) return stop_reply(last_stop_);
  start_continue();
  return "\x01";
}

}  // namespace bulkhead::gdbstub
