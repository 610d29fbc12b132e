#pragma once
// What a binary was built from, for -version and
// modemmanager_exporter_build_info.

#include <string>

namespace mmx {

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string compiler;
  std::string capnp;
  std::string sdbus_cpp;
  std::string httplib;  // the frontend's HTTP
};

const BuildInfo& build_info();

// "mm-exporter, version 0.1.0 (revision: abc) ..." in the style of
// Prometheus' version.Print.
std::string version_text(const std::string& program);

}  // namespace mmx
