# Cross build for Debian's armhf (arm-linux-gnueabihf) with crossbuild-essential-armhf
# and the target's libraries installed through multiarch (dpkg
# --add-architecture armhf); scripts/build-cross.sh armhf sets all of it up.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)

# Multiarch puts the target's libraries in /usr/lib/arm-linux-gnueabihf of this very
# system, so the root to search is /; tools (capnp, python3) are the build
# host's, libraries, headers and CMake packages the target's.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig")

# Target binaries that the build runs (the man pages are made from --help)
# and the unit tests run under qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm-static)
# The Debian package's Architecture: field.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
