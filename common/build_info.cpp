#include "build_info.h"

#include <capnp/common.h>

#include "build_config.h"

namespace mmx {
namespace {

#define MMX_STR2(x) #x
#define MMX_STR(x) MMX_STR2(x)

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " MMX_STR(__GNUC__) "." MMX_STR(__GNUC_MINOR__) "." MMX_STR(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info{
      MMX_VERSION,
      MMX_GIT_REVISION,
      compiler(),
      MMX_STR(CAPNP_VERSION_MAJOR) "." MMX_STR(CAPNP_VERSION_MINOR) "." MMX_STR(
          CAPNP_VERSION_MICRO),
      MMX_SDBUS_CPP_VERSION,
      MMX_HTTPLIB_VERSION,
  };
  return info;
}

std::string version_text(const std::string& program) {
  const BuildInfo& b = build_info();
  return program + ", version " + b.version + " (revision: " + b.revision + ")\n" +
         "  compiler:   " + b.compiler + "\n" + "  capnproto:  " + b.capnp + "\n" +
         "  sdbus-c++:  " + b.sdbus_cpp + "\n" + "  cpp-httplib: " + b.httplib + "\n";
}

}  // namespace mmx
