# Command-line behaviour of hvsim (exit codes, messages on bad input).
add_test(NAME cli/hvsim COMMAND ${CMAKE_SOURCE_DIR}/tests/cli.sh $<TARGET_FILE:hvsim>
  ${CMAKE_BINARY_DIR}/guests)
set_tests_properties(cli/hvsim PROPERTIES TIMEOUT 300)
