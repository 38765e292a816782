# SPDX-License-Identifier: MIT
# Helpers to declare CMocka unit tests in one line each.
function(scsim_unit_test name)
  add_executable(${name} ${ARGN})
  scsim_warnings(${name})
  target_link_libraries(${name} PRIVATE scsim_static PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
