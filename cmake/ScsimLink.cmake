# SPDX-License-Identifier: MIT
# Which libscsim a program links. A program that sets the target property SCSIM_PUBLIC_API ON
# links the shared library, which exports only the public API (sim/include/scsim/): a program
# or helper library reaching into the card's internals then fails to link. Programs without it
# (tests, benchmarks, tools that still use internals) link the static library.
#
# Helper libraries shared by several programs link scsim_card rather than choosing: the choice
# is evaluated for the program that finally links them.
add_library(scsim_card INTERFACE)
target_link_libraries(scsim_card INTERFACE
  "$<IF:$<BOOL:$<TARGET_PROPERTY:SCSIM_PUBLIC_API>>,scsim,scsim_static>")
define_property(TARGET PROPERTY SCSIM_PUBLIC_API
  BRIEF_DOCS "Link the shared libscsim (public API only) instead of the static library"
  FULL_DOCS "See cmake/ScsimLink.cmake.")
