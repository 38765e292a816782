# SPDX-License-Identifier: MIT
# Toolchain for 64-bit Windows with Debian's mingw-w64 (gcc-mingw-w64-x86-64): builds the client only.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(SCSIM_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${SCSIM_MINGW_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${SCSIM_MINGW_TRIPLE}-windres)

# Headers and libraries (winscard.h, libwinscard.a) come from the mingw-w64 sysroot only;
# programs (cmake, the compiler) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/${SCSIM_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
