#pragma once
// Creating and describing the sockets both processes use: the HTTP listening
// sockets (TCP or a unix: path) and the snapshot stream's Unix socket.

#include <string>
#include <string_view>

#include "expected.h"
#include "unique_fd.h"

namespace mmx {

struct ListenAddress {
  bool is_unix = false;
  std::string host;  // empty: every address (dual-stack when IPv6 is there)
  std::string port;
  std::string path;  // for unix:
};

// ":9539", "127.0.0.1:9539", "[::1]:9539", "localhost:9539", "unix:/run/x.sock".
[[nodiscard]] Expected<ListenAddress> parse_listen_address(std::string_view text);

// Binds and listens; close-on-exec. The fd is always valid.
[[nodiscard]] Expected<UniqueFd> listen_tcp(const ListenAddress& address);
// Removes a stale socket file first; applies `mode` to the file.
[[nodiscard]] Expected<UniqueFd> listen_unix(const std::string& path, unsigned mode);
[[nodiscard]] Expected<UniqueFd> listen_on(const ListenAddress& address);

// A non-blocking stream socket connected to the Unix socket at `path`; the
// connection never waits: to a listener that is alive but not accepting,
// connect() would block until its backlog has room, and a caller stuck
// there could not be stopped. That is EAGAIN here, a failure like any other.
[[nodiscard]] Expected<UniqueFd> connect_unix_nonblocking(const std::string& path);

// "127.0.0.1:9539", "[::]:9539", "unix:/path" for a bound socket.
std::string local_address(int fd);

bool set_nonblocking(int fd, bool on);
bool set_cloexec(int fd, bool on);

// True for a listening stream socket.
bool is_listening_socket(int fd);

}  // namespace mmx
