# Docs that run (docs/building.md): every ```sh block of README.md and
# docs/*.md runs against real `wkit serve` processes on free loopback ports.
if(WKIT_CLI)
  add_test(NAME docs.examples
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/run_doc_examples.sh $<TARGET_FILE:wkit> ${CMAKE_SOURCE_DIR})
  set_tests_properties(docs.examples PROPERTIES LABELS e2e TIMEOUT 180)
endif()
# ...and the runner fails where it must (bad exit, wrong `# exit N`, missing
# `# =>` output, an untagged fence), naming page:line.
if(WKIT_CLI)
  add_test(NAME docs.runner_self_test
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/self_test.sh $<TARGET_FILE:wkit>)
  set_tests_properties(docs.runner_self_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()
