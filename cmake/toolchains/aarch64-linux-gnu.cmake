# Cross build for Debian's arm64 (aarch64-linux-gnu) with crossbuild-essential-arm64
# and the target's libraries installed through multiarch (dpkg
# --add-architecture arm64); scripts/build-cross.sh arm64 sets all of it up.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Multiarch puts the target's libraries in /usr/lib/aarch64-linux-gnu of this very
# system, so the root to search is /; tools (capnp, python3) are the build
# host's, libraries, headers and CMake packages the target's.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# Target binaries that the build runs (the man pages are made from --help)
# and the unit tests run under qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
# The Debian package's Architecture: field.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
