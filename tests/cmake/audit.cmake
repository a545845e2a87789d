# wkit_audit_gen: the test-store generator of `wkit audit` (tests/tools/),
# used by the audit benchmark script (tests/bench/audit/) and by hand.
add_executable(wkit_audit_gen ${CMAKE_CURRENT_SOURCE_DIR}/tools/audit_gen.cpp)
target_include_directories(wkit_audit_gen PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tools)
target_link_libraries(wkit_audit_gen PRIVATE wkit_audit)
