# The repository is self-contained: no tracked file refers to the reference
# folder beside the development checkout (a user's clone has none).
add_test(NAME repo.self_contained
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/repo/self_contained.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(repo.self_contained PROPERTIES LABELS unit)
add_test(NAME repo.unity_safe_pragmas
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/repo/unity_safe_pragmas.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(repo.unity_safe_pragmas PROPERTIES LABELS unit)
