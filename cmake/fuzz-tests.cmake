# Fuzz smoke tests (ctest -L fuzz): each libFuzzer target of fuzz/ replays its regressions, then fuzzes its corpus.
#
# tests/fuzz-smoke.sh builds the targets with fuzz/build.sh (OSS-Fuzz style, its own
# compiler flags) into <build>/fuzz when they are missing or older than their sources;
# the three tests share that build through a lock. Each target then runs
# HVSIM_FUZZ_SECONDS on a copy of fuzz/corpus/<target>; any crash, sanitizer report,
# leak, oracle failure or timeout fails the test. Skipped (77) without clang.
set(HVSIM_FUZZ_SECONDS 15 CACHE STRING "Seconds each fuzz/<target> ctest test fuzzes")
if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/build.sh AND EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz-smoke.sh)
  foreach(target hypercall elf scenario)
    add_test(NAME fuzz/${target}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz-smoke.sh --out ${CMAKE_BINARY_DIR}/fuzz
              --seconds ${HVSIM_FUZZ_SECONDS} ${target})
    # The first test to run may also build all targets (about a minute on 2 cores).
    set_tests_properties(fuzz/${target} PROPERTIES LABELS fuzz TIMEOUT 400 SKIP_RETURN_CODE 77)
  endforeach()
  # The hypercall target's oracles still fail: each fault fuzz/hc_plant.c can plant is reported.
  if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/oracle-selftest.sh)
    add_test(NAME fuzz/oracles
      COMMAND ${CMAKE_SOURCE_DIR}/fuzz/oracle-selftest.sh --out ${CMAKE_BINARY_DIR}/fuzz)
    set_tests_properties(fuzz/oracles PROPERTIES LABELS fuzz TIMEOUT 400 SKIP_RETURN_CODE 77)
  endif()
endif()
