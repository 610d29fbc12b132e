#include "sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>

#include "errno_text.h"

namespace mmx {
namespace {

// As systemd's socket units. A burst of connections waits here until the
// gate accepts it; with 128, 10,000 connections at once overflowed it while
// the gate waited for a CPU, and the kernel dropped SYNs (the client, a
// scrape among them, then retries only after 1 s). The kernel caps it at
// net.core.somaxconn.
constexpr int kBacklog = 4096;

Expected<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return fail("unix socket path \"" + path + "\" is empty or longer than " +
                std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Expected<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress address;
  if (text.substr(0, 5) == "unix:") {
    address.is_unix = true;
    address.path = std::string(text.substr(5));
    if (address.path.empty() || address.path[0] != '/') {
      return fail("listen address \"" + std::string(text) + "\": unix: needs an absolute path");
    }
    return address;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("listen address \"" + std::string(text) +
                "\" has no port (want host:port or :port)");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("listen address \"" + std::string(text) + "\": put an IPv6 address in brackets");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return fail("listen address \"" + std::string(text) + "\": invalid port \"" +
                std::string(port) + "\"");
  }
  address.host = std::string(host);
  address.port = std::string(port);
  return address;
}

Expected<UniqueFd> listen_tcp(const ListenAddress& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (address.host.empty()) hints.ai_family = AF_INET6;
  addrinfo* results = nullptr;
  const char* host = address.host.empty() ? nullptr : address.host.c_str();
  int rc = ::getaddrinfo(host, address.port.c_str(), &hints, &results);
  if (rc != 0 && address.host.empty()) {
    hints.ai_family = AF_INET;  // a host without IPv6
    rc = ::getaddrinfo(host, address.port.c_str(), &hints, &results);
  }
  if (rc != 0) return fail("cannot resolve \"" + address.host + "\": " + ::gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last_error = errno_text();
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6 && address.host.empty()) {
      const int zero = 0;  // ":port" means IPv4 and IPv6, as in Go
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), kBacklog) != 0) {
      last_error = errno_text();
      continue;
    }
    ::freeaddrinfo(results);
    return fd;
  }
  ::freeaddrinfo(results);
  return fail("cannot listen on " + (address.host.empty() ? "" : address.host) + ":" +
              address.port + ": " + last_error);
}

Expected<UniqueFd> listen_unix(const std::string& path, unsigned mode) {
  const auto addr = unix_address(path);
  if (!addr) return fail(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(errno_text("socket"));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return fail(errno_text("cannot bind " + path));
  }
  if (::chmod(path.c_str(), mode) != 0 || ::listen(fd.get(), kBacklog) != 0) {
    return fail(errno_text("cannot listen on " + path));
  }
  return fd;
}

Expected<UniqueFd> listen_on(const ListenAddress& address) {
  if (address.is_unix) return listen_unix(address.path, 0666);
  return listen_tcp(address);
}

Expected<UniqueFd> connect_unix_nonblocking(const std::string& path) {
  const auto addr = unix_address(path);
  if (!addr) return fail(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail(errno_text("socket"));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return fail(errno_text("cannot connect to " + path));
  }
  return fd;
}

std::string local_address(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = {};
  switch (storage.ss_family) {
    case AF_INET: {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      auto* un = reinterpret_cast<sockaddr_un*>(&storage);
      return "unix:" + std::string(un->sun_path);
    }
    default:
      return "?";
  }
}

bool set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
}

bool set_cloexec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) == 0;
}

bool is_listening_socket(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

}  // namespace mmx
