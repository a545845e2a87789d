# Generated completion files and the man page are committed; this test fails
# when they no longer match the binary (regenerate: scripts/gen-completions.sh).
if(WKIT_CLI)
  add_test(NAME completions_current
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/completions/check.sh $<TARGET_FILE:wkit> ${CMAKE_SOURCE_DIR})
  set_tests_properties(completions_current PROPERTIES LABELS e2e)
endif()
