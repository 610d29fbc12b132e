# Debian's armhf: scripts/build-cross.sh armhf.
set(MMX_TRIPLET arm-linux-gnueabihf)
set(MMX_PROCESSOR arm)
set(MMX_QEMU_CPU arm)
set(MMX_DEB_ARCH armhf)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
