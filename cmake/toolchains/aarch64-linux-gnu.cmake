# Debian's arm64: scripts/build-cross.sh arm64.
set(MMX_TRIPLET aarch64-linux-gnu)
set(MMX_PROCESSOR aarch64)
set(MMX_QEMU_CPU aarch64)
set(MMX_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
