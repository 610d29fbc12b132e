# The unit tests that need what qemu-user cannot give: loading the
# frontend's seccomp filter or entering its sandbox, and a failed exec of a
# child reported by posix_spawn (qemu-user runs the child's exec after a
# fork of its own, so the parent sees a child that exits 127 instead).
# scripts/test-qemu-user.sh leaves them out (and lists them),
# scripts/test-arm.sh runs them on an emulated ARM kernel. Sourced by both.
# A new test of this kind that is not named here fails under qemu-user,
# loudly.
#
# CTest's names are doctest's; the regex picks them for `ctest -R/-E`, the
# filter (name prefixes, no commas) for `unit-tests -tc=`.
mmx_kernel_tests=(
  "sandbox: forbidden"
  "sandbox: harmless"
  "sandbox: what the frontend does"
  "sandbox: --collector-socket"
  "sandbox: log mode"
  "sandbox: started as"
  "sandbox: a root directory"
  "tls context: handshakes and bcrypt run inside"
  "web config check: a binary that cannot run"
  "frontend supervisor: a binary that cannot be started"
)
MMX_KERNEL_TESTS_REGEX="^($(IFS='|'; echo "${mmx_kernel_tests[*]}"))"
MMX_KERNEL_TESTS_FILTER="$(printf '%s*,' "${mmx_kernel_tests[@]}")"
MMX_KERNEL_TESTS_FILTER="${MMX_KERNEL_TESTS_FILTER%,}"
