# SPDX-License-Identifier: MIT
# What an install gives other projects: shared libraries with a versioned ABI, pkg-config files
# and find_package(scsim) with imported targets, all correct under any --prefix.
include(CMakePackageConfigHelpers)

set(SCSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/scsim)

# scsim_shared_library(TARGET MAP): an installed shared library whose exports are exactly what
# the version script MAP names, each symbol tagged with MAP's version node. Installed and added
# to find_package(scsim)'s targets (the target gives its own INSTALL_INTERFACE include path).
function(scsim_shared_library target map)
  set(map ${CMAKE_CURRENT_SOURCE_DIR}/${map})
  set_target_properties(${target} PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    LINK_DEPENDS ${map})
  target_link_options(${target} PRIVATE -Wl,--version-script=${map})
  # clang leaves the sanitizer and coverage runtimes out of shared objects: they
  # resolve in the program, so only the plain build can insist on no undefined symbols.
  if(NOT SCSIM_BUILD_FUZZ)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  install(TARGETS ${target} EXPORT scsimTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# scsim_install_pkgconfig(TEMPLATE): a .pc file written when installing, not when configuring,
# so that `cmake --install --prefix DIR` puts DIR in it. TEMPLATE uses @prefix@, @libdir@,
# @includedir@ and @version@.
function(scsim_install_pkgconfig template)
  get_filename_component(name ${template} NAME)
  string(REGEX REPLACE "\\.in$" "" name ${name})
  foreach(kind LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
      set(_${kind} "${CMAKE_INSTALL_${kind}}")
    else()
      set(_${kind} "\\\${prefix}/${CMAKE_INSTALL_${kind}}")
    endif()
  endforeach()
  set(in ${CMAKE_CURRENT_SOURCE_DIR}/${template})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/${name})
  install(CODE "
    set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
    set(libdir \"${_LIBDIR}\")
    set(includedir \"${_INCLUDEDIR}\")
    set(version \"${PROJECT_VERSION}\")
    configure_file(\"${in}\" \"${out}\" @ONLY)
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\"
         TYPE FILE FILES \"${out}\")")
endfunction()

# find_package(scsim [COMPONENTS scsim iscardverify]): scsim::scsim and scsim::iscardverify,
# with a version file (same major version: the soname's promise).
function(scsim_install_package_config)
  install(EXPORT scsimTargets NAMESPACE scsim:: DESTINATION ${SCSIM_CMAKE_DIR})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/scsimConfig.cmake.in
    ${PROJECT_BINARY_DIR}/scsimConfig.cmake INSTALL_DESTINATION ${SCSIM_CMAKE_DIR})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/scsimConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/scsimConfig.cmake ${PROJECT_BINARY_DIR}/scsimConfigVersion.cmake
    DESTINATION ${SCSIM_CMAKE_DIR})
endfunction()

# scsim_install_program(TARGET): installed in bindir, finding our shared libraries from its own
# location ($ORIGIN), so an install under any prefix runs without LD_LIBRARY_PATH. (Debian's
# build turns this off with CMAKE_SKIP_INSTALL_RPATH: there the libraries are in the system path.)
function(scsim_install_program target)
  file(RELATIVE_PATH rel ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${rel}")
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
