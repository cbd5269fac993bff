# Every bundled scenario is a test, and so is its determinism (two runs, one trace hash).
file(GLOB SCENARIOS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/*.scn)
if(TARGET hvsim)
  foreach(scn ${SCENARIOS})
    get_filename_component(name ${scn} NAME_WE)
    add_test(NAME scenario/${name} COMMAND hvsim run ${scn})
    add_test(NAME determinism/${name}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/determinism.sh $<TARGET_FILE:hvsim> ${scn})
    set_tests_properties(scenario/${name} determinism/${name} PROPERTIES
      ENVIRONMENT "HVSIM_GUEST_DIR=${CMAKE_BINARY_DIR}/guests" TIMEOUT 300)
  endforeach()
  include(${CMAKE_SOURCE_DIR}/cmake/cli-tests.cmake OPTIONAL)
endif()
