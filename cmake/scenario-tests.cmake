# Every bundled scenario is a test, and so is its determinism (two runs, one trace hash).
# scenarios/harness/ holds the simulator-only examples of the scenario language.
file(GLOB SCENARIOS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/*.scn
  ${CMAKE_SOURCE_DIR}/scenarios/harness/*.scn)
if(TARGET hvsim)
  foreach(scn ${SCENARIOS})
    get_filename_component(name ${scn} NAME_WE)
    add_test(NAME scenario/${name} COMMAND hvsim run ${scn})
    add_test(NAME determinism/${name}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/determinism.sh $<TARGET_FILE:hvsim> ${scn})
    set_tests_properties(scenario/${name} determinism/${name} PROPERTIES
      ENVIRONMENT "HVSIM_GUEST_DIR=${CMAKE_BINARY_DIR}/guests" TIMEOUT 300)
  endforeach()
  # Golden traces: every bundled scenario replays event for event (run from the source
  # tree, where the records' relative scenario paths point).
  file(GLOB GOLDEN CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/golden/*.rec)
  foreach(rec ${GOLDEN})
    get_filename_component(name ${rec} NAME_WE)
    add_test(NAME golden/${name} COMMAND hvsim replay --strict ${rec}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(golden/${name} PROPERTIES
      ENVIRONMENT "HVSIM_GUEST_DIR=${CMAKE_BINARY_DIR}/guests" TIMEOUT 300)
  endforeach()
  add_test(NAME replay/divergence COMMAND ${CMAKE_SOURCE_DIR}/tests/replay.sh
    $<TARGET_FILE:hvsim> ${CMAKE_BINARY_DIR})
  set_tests_properties(replay/divergence PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    ENVIRONMENT "HVSIM_GUEST_DIR=${CMAKE_BINARY_DIR}/guests" TIMEOUT 300)
  # hvsim fuzz: libFuzzer over the knobs of the bundled example finds its failure.
  if(TARGET knobfuzz)
    add_test(NAME knobfuzz/knobs COMMAND ${CMAKE_SOURCE_DIR}/tests/knobfuzz.sh
      $<TARGET_FILE:hvsim> ${CMAKE_SOURCE_DIR}/scenarios/harness/knobs.scn)
    set_tests_properties(knobfuzz/knobs PROPERTIES
      ENVIRONMENT "HVSIM_GUEST_DIR=${CMAKE_BINARY_DIR}/guests" TIMEOUT 300)
  endif()
  include(${CMAKE_SOURCE_DIR}/cmake/cli-tests.cmake OPTIONAL)
endif()
