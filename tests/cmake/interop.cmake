# Interop with the official JS SDK (wukongimjssdk 1.0.4, docs/interop.md) over
# WebSocket against a real `wkit serve`. npm installs into the build tree.
find_program(WKIT_NODE node)
find_program(WKIT_NPM npm)
if(WKIT_NODE AND WKIT_NPM AND TARGET wkit)
  add_test(NAME interop_jssdk_50_messages
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/run_interop.sh $<TARGET_FILE:wkit>
                   ${CMAKE_CURRENT_BINARY_DIR}/interop-node)
  set_tests_properties(interop_jssdk_50_messages PROPERTIES LABELS interop TIMEOUT 300)
else()
  message(STATUS "node/npm not found: interop tests not registered")
endif()
