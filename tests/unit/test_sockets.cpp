#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "sockets.h"

namespace {

std::string error_of(std::string_view text) {
  const auto address = mmx::parse_listen_address(text);
  REQUIRE_FALSE(address);
  return address.error();
}

std::string temp_dir() {
  char dir_template[] = "/tmp/mmx-sockets-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  return dir_template;
}

}  // namespace

TEST_CASE("sockets: listen addresses in every accepted form") {
  auto any = mmx::parse_listen_address(":9539");
  REQUIRE_MESSAGE(any, any.error());
  CHECK_FALSE(any->is_unix);
  CHECK(any->host.empty());
  CHECK(any->port == "9539");

  auto v6 = mmx::parse_listen_address("[::1]:80");
  REQUIRE_MESSAGE(v6, v6.error());
  CHECK(v6->host == "::1");
  CHECK(v6->port == "80");

  auto path = mmx::parse_listen_address("unix:/run/x.sock");
  REQUIRE_MESSAGE(path, path.error());
  CHECK(path->is_unix);
  CHECK(path->path == "/run/x.sock");
}

TEST_CASE("sockets: a bad listen address says what is wrong with it") {
  CHECK(error_of("unix:run/x.sock") ==
        "listen address \"unix:run/x.sock\": unix: needs an absolute path");
  CHECK(error_of("9539") == "listen address \"9539\" has no port (want host:port or :port)");
  CHECK(error_of("::1:80") == "listen address \"::1:80\": put an IPv6 address in brackets");
  CHECK(error_of("host:65536") == "listen address \"host:65536\": invalid port \"65536\"");
  CHECK(error_of("host:") == "listen address \"host:\": invalid port \"\"");
}

TEST_CASE("sockets: a Unix socket listens, takes a connection, and is replaced when stale") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/s.sock";
  {
    auto stale = mmx::listen_unix(path, 0600);
    REQUIRE_MESSAGE(stale, stale.error());
  }
  auto listener = mmx::listen_unix(path, 0600);
  REQUIRE_MESSAGE(listener, listener.error());
  CHECK(mmx::is_listening_socket(listener->get()));
  CHECK(mmx::local_address(listener->get()) == "unix:" + path);
  auto client = mmx::connect_unix_nonblocking(path);
  REQUIRE_MESSAGE(client, client.error());
  CHECK(client->valid());
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("sockets: Unix socket failures name the path and the reason") {
  const std::string too_long = "/" + std::string(200, 'x');
  const std::string length_error =
      "unix socket path \"" + too_long + "\" is empty or longer than 107 bytes";
  auto listener = mmx::listen_unix(too_long, 0600);
  REQUIRE_FALSE(listener);
  CHECK(listener.error() == length_error);
  auto client = mmx::connect_unix_nonblocking(too_long);
  REQUIRE_FALSE(client);
  CHECK(client.error() == length_error);

  const std::string dir = temp_dir();
  auto absent = mmx::connect_unix_nonblocking(dir + "/absent.sock");
  REQUIRE_FALSE(absent);
  CHECK(absent.error() == "cannot connect to " + dir + "/absent.sock: No such file or directory");
  auto unbindable = mmx::listen_unix(dir + "/no/such/dir.sock", 0600);
  REQUIRE_FALSE(unbindable);
  CHECK(unbindable.error() ==
        "cannot bind " + dir + "/no/such/dir.sock: No such file or directory");
  ::rmdir(dir.c_str());
}

TEST_CASE("sockets: a TCP port in use is an error naming the address") {
  auto address = mmx::parse_listen_address("127.0.0.1:0");
  REQUIRE_MESSAGE(address, address.error());
  auto first = mmx::listen_on(*address);
  REQUIRE_MESSAGE(first, first.error());
  const std::string bound = mmx::local_address(first->get());
  auto same = mmx::parse_listen_address(bound);
  REQUIRE_MESSAGE(same, same.error());
  auto second = mmx::listen_tcp(*same);
  REQUIRE_FALSE(second);
  CHECK(second.error() == "cannot listen on " + bound + ": Address already in use");
}
