# Bare-metal tests: the ISO tooling under a fake hypervisor, and every bundled scenario run
# both in the simulator and under QEMU (differential/*) with results and consoles compared.
# They need QEMU, GRUB and xorriso (scripts/deps.sh); a missing one fails, never skips.
if(TARGET hvsim)
  add_test(NAME tools/qemu-boot COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu-boot.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(tools/qemu-boot PROPERTIES LABELS baremetal TIMEOUT 300)
endif()

# One test per bundled scenario; the kernel target is defined before the tests are included.
if(TARGET hvsim-hv AND TARGET hvsim)
  add_test(NAME baremetal/fault COMMAND ${CMAKE_SOURCE_DIR}/tests/baremetal-fault.sh
    ${CMAKE_BINARY_DIR})
  set_tests_properties(baremetal/fault PROPERTIES LABELS baremetal TIMEOUT 120)
  file(GLOB scns CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/*.scn)
  foreach(scn ${scns})
    get_filename_component(name ${scn} NAME_WE)
    add_test(NAME differential/${name}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/differential.sh --build ${CMAKE_BINARY_DIR}
        --hvsim $<TARGET_FILE:hvsim> --kernel $<TARGET_FILE:hvsim-hv> ${scn})
    # Each test has its own temporary ISO and QEMU, so they run in parallel; a boot takes
    # about a second, and qemu-boot gives up on a hung machine after 60 s.
    set_tests_properties(differential/${name} PROPERTIES LABELS "baremetal;differential"
      TIMEOUT 120)
    # A sweep boots once per run, one after the other (tests/differential.sh pins each).
    file(STRINGS ${scn} sweep_lines REGEX "^[ \t]*sweep[ \t]")
    if(sweep_lines)
      set_tests_properties(differential/${name} PROPERTIES TIMEOUT 600)
    endif()
  endforeach()
  # The harness examples that boot: boot modules travel as GRUB modules naming their domain
  # (bootmod=NAME), disk images too (disk=NAME vdev=... access=...), served by the same block
  # backend and xenstore daemon in the core.
  foreach(name modules xenstore disk)
    add_test(NAME differential/harness-${name}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/differential.sh --build ${CMAKE_BINARY_DIR}
        --hvsim $<TARGET_FILE:hvsim> --kernel $<TARGET_FILE:hvsim-hv>
        ${CMAKE_SOURCE_DIR}/scenarios/harness/${name}.scn)
    set_tests_properties(differential/harness-${name} PROPERTIES
      LABELS "baremetal;differential" TIMEOUT 120)
  endforeach()
endif()
