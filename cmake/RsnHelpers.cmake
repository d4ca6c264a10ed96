# rsn_test(NAME SOURCE [LIBS...]): one cmocka test program, registered in ctest
# with a timeout and the `unit` label.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

function(rsn_test name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN} PkgConfig::CMOCKA)
  target_compile_definitions(${name} PRIVATE
    RSN_TESTDATA="${RSN_TESTDATA}" RSN_BUILD_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS unit)
endfunction()

# rsn_itest(NAME SCRIPT): an integration test script that starts real raisond
# processes; it gets the build folder in RSN_BUILD and the binaries on PATH.
function(rsn_itest name script)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS integration
    ENVIRONMENT "RSN_BUILD=${CMAKE_BINARY_DIR};RSN_SOURCE=${CMAKE_SOURCE_DIR};RSN_TESTDATA=${RSN_TESTDATA}")
endfunction()
