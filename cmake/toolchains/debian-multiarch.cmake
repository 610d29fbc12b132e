# Cross build for one of Debian's architectures with its crossbuild-essential
# package and the target's libraries installed through multiarch (dpkg
# --add-architecture); scripts/build-cross.sh sets all of it up. Included by
# the per-architecture toolchain files, which set:
#   MMX_TRIPLET    the GNU triplet: compiler prefix and multiarch directory
#   MMX_PROCESSOR  CMAKE_SYSTEM_PROCESSOR
#   MMX_QEMU_CPU   qemu-user's name of the CPU (qemu-CPU-static)
#   MMX_DEB_ARCH   the Debian architecture, for the package's Architecture:
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${MMX_PROCESSOR})
set(CMAKE_C_COMPILER ${MMX_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${MMX_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${MMX_TRIPLET})

# Multiarch puts the target's libraries in /usr/lib/TRIPLET of this very
# system, so the root to search is /; tools (capnp, python3) are the build
# host's, libraries, headers and CMake packages the target's.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${MMX_TRIPLET}/pkgconfig:/usr/share/pkgconfig")

# Target binaries that the build runs (the man pages are made from --help)
# and the unit tests run under qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${MMX_QEMU_CPU}-static)
# The Debian package's Architecture: field.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${MMX_DEB_ARCH})
