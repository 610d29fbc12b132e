# The unit tests that load the frontend's seccomp filter or enter its
# sandbox, which qemu-user cannot do: scripts/test-qemu-user.sh leaves them
# out (and lists them), scripts/test-arm.sh runs them on an emulated ARM
# kernel. Sourced by both. A new test of this kind that is not named here
# fails under qemu-user, loudly.
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
)
MMX_KERNEL_TESTS_REGEX="^($(IFS='|'; echo "${mmx_kernel_tests[*]}"))"
MMX_KERNEL_TESTS_FILTER="$(printf '%s*,' "${mmx_kernel_tests[@]}")"
MMX_KERNEL_TESTS_FILTER="${MMX_KERNEL_TESTS_FILTER%,}"
