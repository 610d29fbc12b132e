#pragma once
// Creating and describing the sockets both processes use: the HTTP listening
// sockets (TCP or a unix: path) and the snapshot stream's Unix socket.

#include <optional>
#include <string>
#include <string_view>

#include "unique_fd.h"

namespace mmx {

struct ListenAddress {
  bool is_unix = false;
  std::string host;  // empty: every address (dual-stack when IPv6 is there)
  std::string port;
  std::string path;  // for unix:
};

// ":9539", "127.0.0.1:9539", "[::1]:9539", "localhost:9539", "unix:/run/x.sock".
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

// Binds and listens; close-on-exec. Fills `error` and returns an invalid fd on failure.
UniqueFd listen_tcp(const ListenAddress& address, std::string& error);
// Removes a stale socket file first; applies `mode` to the file.
UniqueFd listen_unix(const std::string& path, unsigned mode, std::string& error);
UniqueFd listen_on(const ListenAddress& address, std::string& error);

// A non-blocking stream socket connected to the Unix socket at `path`; the
// connection never waits: to a listener that is alive but not accepting,
// connect() would block until its backlog has room, and a caller stuck
// there could not be stopped. That is EAGAIN here, a failure like any other.
UniqueFd connect_unix_nonblocking(const std::string& path, std::string& error);

// "127.0.0.1:9539", "[::]:9539", "unix:/path" for a bound socket.
std::string local_address(int fd);

bool set_nonblocking(int fd, bool on);
bool set_cloexec(int fd, bool on);

// True for a listening stream socket.
bool is_listening_socket(int fd);

}  // namespace mmx
