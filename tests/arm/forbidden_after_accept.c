/* Test only (scripts/test-arm.sh): preloaded into the frontend, it does what
 * an attacker who took the frontend over would try first. On every accepted
 * HTTP connection it opens a network socket, which the syscall filter
 * forbids: the kernel must kill the frontend with SIGSYS, and the collector
 * must say so in its log. Everything before accept4() is the real
 * frontend's, sandbox included. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*accept4_fn)(int, struct sockaddr*, socklen_t*, int);
static accept4_fn real_accept4;

__attribute__((constructor)) static void find_accept4(void) {
  real_accept4 = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
}

int accept4(int fd, struct sockaddr* address, socklen_t* length, int flags) {
  const int connection = real_accept4(fd, address, length, flags);
  if (connection >= 0) syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  return connection;
}
