#include "bulkhead/gdbstub/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bulkhead::gdbstub {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("gdb stub: " + what + ": " + std::strerror(errno));
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

SessionEnd serve(Target& target, const ServerOptions& options) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.fd < 0) fail("socket");
  const int one = 1;
  ::setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from another machine
  addr.sin_port = htons(options.port);
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    fail("bind 127.0.0.1:" + std::to_string(options.port));
  if (::listen(listener.fd, 1) < 0) fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) fail("getsockname");
  if (options.on_listening) options.on_listening(ntohs(addr.sin_port));

  int accepted = -1;
  do {
    accepted = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (accepted < 0 && errno == EINTR);
  if (accepted < 0) fail("accept");
  Fd conn(accepted);
  ::setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::close(listener.fd);  // one debugger per run
  listener.fd = -1;

  Session session(target, options.slice);
  char buf[4096];
  while (!session.ended()) {
    pollfd pfd{conn.fd, POLLIN, 0};
    // While the target runs, only peek for an interrupt between slices.
    const int ready = ::poll(&pfd, 1, session.running() ? 0 : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (ready > 0) {
      const ssize_t n = ::recv(conn.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return SessionEnd::Disconnected;
      send_all(conn.fd, session.receive(std::string_view(buf, static_cast<std::size_t>(n))));
    }
    if (session.running()) send_all(conn.fd, session.poll());
  }
  return *session.ended();
}

}  // namespace bulkhead::gdbstub
