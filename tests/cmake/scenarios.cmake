# wkit_scenarios: incident scenarios (tests/scenarios/), each a real
# `wkit serve` and real wkit clients whose verdicts must agree with the store;
# the expected outcomes are checked against the table in docs/verdicts.md.
file(GLOB scenario_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/*.cpp)
if(scenario_srcs AND WKIT_CLI)
  find_package(SQLite3 REQUIRED)
  find_package(nlohmann_json 3 REQUIRED)
  add_executable(wkit_scenarios ${scenario_srcs})
  wkit_test_code(wkit_scenarios)
  target_link_libraries(wkit_scenarios PRIVATE SQLite::SQLite3 nlohmann_json::nlohmann_json GTest::gtest GTest::gtest_main)
  target_compile_definitions(wkit_scenarios PRIVATE WKIT_BINARY="$<TARGET_FILE:wkit>"
    WKIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_dependencies(wkit_scenarios wkit)
  gtest_discover_tests(wkit_scenarios DISCOVERY_MODE PRE_TEST PROPERTIES LABELS e2e)
endif()
