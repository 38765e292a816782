# SPDX-License-Identifier: MIT
# Helpers to declare CMocka unit tests in one line each.
function(scsim_unit_test name)
  add_executable(${name} ${ARGN})
  scsim_warnings(${name})
  target_link_libraries(${name} PRIVATE scsim_static PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

# Allocations of the program and of the static library it links go through
# tests/fuzz/fail_alloc.c (-Wl,--wrap), as do libcrypto's, so a test or fuzz
# target can make them fail.
function(scsim_fail_alloc target)
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/fail_alloc.c)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz)
  target_link_options(${target} PRIVATE
    "LINKER:--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup")
  target_link_libraries(${target} PRIVATE PkgConfig::LIBCRYPTO)
endfunction()
