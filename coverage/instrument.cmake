# Coverage hook: adds --coverage to every hosted C target, loaded with -DCMAKE_PROJECT_INCLUDE.
#
# coverage/run.sh configures build-cov with this file instead of putting --coverage in
# CMAKE_C_FLAGS: the bare-metal kernel (hvsim-hv) and the freestanding core cannot link
# libgcov, so targets compiled with -ffreestanding are left alone. The top-level
# CMakeLists.txt is not changed; the targets are visited once it has defined them all.

function(hvsim_coverage_instrument dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|OBJECT_LIBRARY|SHARED_LIBRARY)$")
      continue()
    endif()
    get_target_property(opts ${t} COMPILE_OPTIONS)
    # Freestanding code has no libgcov; libFuzzer targets (if any) are clang-only.
    if(opts MATCHES "-ffreestanding|-fsanitize=[a-z,]*fuzzer")
      message(STATUS "coverage: not instrumenting ${t}")
      continue()
    endif()
    target_compile_options(${t} PRIVATE --coverage)
    if(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY)$")
      target_link_options(${t} PRIVATE --coverage)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    hvsim_coverage_instrument(${sub})
  endforeach()
endfunction()

function(hvsim_coverage_instrument_all)
  hvsim_coverage_instrument(${CMAKE_SOURCE_DIR})
endfunction()

# Included right after project(): run when the top-level directory is fully processed.
if(CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL hvsim_coverage_instrument_all)
endif()
