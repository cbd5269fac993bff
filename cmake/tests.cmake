# Unit tests (cmocka, one file per module) and scenario tests, run by ctest.
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
file(GLOB UNIT_SUPPORT CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/support/*.c)
if(UNIT_SUPPORT)
  # An object library: hvcore calls the arch hooks the fake machine defines,
  # so its objects must always be linked, whatever the test itself uses.
  add_library(unit_support OBJECT ${UNIT_SUPPORT})
  target_include_directories(unit_support PUBLIC ${CMAKE_SOURCE_DIR}/tests/unit/support
    ${CMAKE_SOURCE_DIR}/hv/include)
  target_compile_options(unit_support PRIVATE ${HVSIM_WARN} ${HVSIM_SAN})
endif()
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE ${HVSIM_WARN} ${HVSIM_SAN})
  # tools tests (test_tool_*) use the tools library; core tests use the fake machine.
  if(name MATCHES "^test_tool_")
    target_link_libraries(${name} PRIVATE hvsim_tools ${CMOCKA_LIB})
  else()
    target_sources(${name} PRIVATE $<TARGET_OBJECTS:unit_support>)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit/support)
    target_link_libraries(${name} PRIVATE hvcore ${CMOCKA_LIB})
  endif()
  add_test(NAME unit/${name} COMMAND ${name})
endforeach()

include(${CMAKE_SOURCE_DIR}/cmake/scenario-tests.cmake OPTIONAL)

# The simulator's own self-test: Unicorn facts it relies on, and tiny guests.
if(TARGET hvsim_machine AND EXISTS ${CMAKE_SOURCE_DIR}/sim/selftest/run.sh)
  add_test(NAME sim/selftest COMMAND ${CMAKE_SOURCE_DIR}/sim/selftest/run.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(sim/selftest PROPERTIES TIMEOUT 300)
endif()

# The bare-metal build: ISO tooling and simulator-versus-QEMU differential tests.
include(${CMAKE_SOURCE_DIR}/cmake/baremetal-tests.cmake OPTIONAL)

# libFuzzer smoke tests of fuzz/ (label fuzz).
include(${CMAKE_SOURCE_DIR}/cmake/fuzz-tests.cmake OPTIONAL)
