# Command-line behaviour of hvsim (exit codes, messages on bad input).
add_test(NAME cli/hvsim COMMAND ${CMAKE_SOURCE_DIR}/tests/cli.sh $<TARGET_FILE:hvsim>
  ${CMAKE_BINARY_DIR}/guests)
set_tests_properties(cli/hvsim PROPERTIES TIMEOUT 300)
# hvsim run --plot: a well-formed, deterministic SVG of nsec-lastnsec; sweeps; file errors.
add_test(NAME cli/plot COMMAND ${CMAKE_SOURCE_DIR}/tests/plot.sh $<TARGET_FILE:hvsim>
  ${CMAKE_BINARY_DIR}/guests ${CMAKE_SOURCE_DIR})
set_tests_properties(cli/plot PROPERTIES TIMEOUT 300)
