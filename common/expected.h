#pragma once
// How a function of ours says it failed. One convention for the whole tree:
//
// - What can fail because of the world outside the program (flags, config
//   files, the peer's bytes, D-Bus values, a system call, the file system)
//   returns Expected<T>, Expected<> when there is no value. The error is one
//   line naming what failed and why, ready for a log line or a flag error;
//   the caller adds context, never parses it. Such a function is
//   [[nodiscard]].
// - Exceptions do not cross our interfaces: where a library throws
//   (kj::Exception from Cap'n Proto, sdbus::Error), the nearest function of
//   ours catches it and returns an error or handles it. Constructors that
//   cannot do without a resource (an eventfd, an epoll instance) throw
//   std::system_error, which only main() catches.
// - A broken invariant of our own is a bug, not an error: MMX_ASSERT
//   (invariant.h).
// - Only main() ends the process, by returning its exit code (2 for a bad
//   flag, 1 for anything else), except where destructors must not run (a
//   forked child before exec, the frontend after its grace period).
//
// tl::expected is std::expected (C++23) for C++17/20, from Debian's
// libexpected-dev; the alias keeps the move to std::expected to one file.

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace mmx {

template <class T = void>
using Expected = tl::expected<T, std::string>;

// `return fail("what went wrong");` in a function returning Expected<T>.
inline tl::unexpected<std::string> fail(std::string reason) {
  return tl::unexpected<std::string>(std::move(reason));
}

}  // namespace mmx
