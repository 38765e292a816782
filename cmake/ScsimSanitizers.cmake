# SPDX-License-Identifier: MIT
# SCSIM_SANITIZE builds every target, tests included, with ASan and UBSan;
# any report aborts the process so a test cannot pass over it.
if(SCSIM_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_san})
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzzing needs coverage instrumentation in the library too, not only in the
# target, or libFuzzer explores blind.
if(SCSIM_BUILD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
