#pragma once
// The one way to turn an error number into text for a message or a log.

#include <cerrno>
#include <string>
#include <string_view>

namespace mmx {

// The system's message for `error` ("No such file or directory"); by
// default for errno, read when the call starts, so call it before anything
// else can change errno. Safe from any thread, unlike strerror().
std::string errno_text(int error = errno);

// "what: " and that message, for an error that names the call or the
// object that failed ("socket: Too many open files").
std::string errno_text(std::string_view what, int error = errno);

}  // namespace mmx
