#pragma once
// Two kinds of wrong, two paths.
//
// A fault of the peer or of the input (snapshot bytes, an HTTP request, a
// flag, a config file, a D-Bus value) is expected: it is handled where the
// input arrives, with a clear message and a bounded result (the frame
// refused and the connection dropped and counted, the request answered 4xx,
// exit 2 for a bad flag). It is never an assertion.
//
// A bug of ours is an invariant our own code broke: a renderer writing a
// family out of order, a row whose labels do not match the table. MMX_ASSERT
// states such an invariant. In builds that check invariants (Debug, and the
// fuzzing build: MMX_CHECK_INVARIANTS, set by the top CMakeLists.txt) a
// broken one prints what and where and aborts, so tests and the fuzzer
// report it; in release builds it costs nothing and the condition is not
// evaluated.
//

namespace mmx {

[[noreturn]] void invariant_broken(const char* condition, const char* what, const char* file,
                                   int line);

}  // namespace mmx

#if defined(MMX_CHECK_INVARIANTS)
#define MMX_ASSERT(condition, what) \
  ((condition) ? void(0) : ::mmx::invariant_broken(#condition, what, __FILE__, __LINE__))
#else
#define MMX_ASSERT(condition, what) ((void)sizeof(!(condition)))
#endif
