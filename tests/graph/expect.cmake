# Runs one command and checks its outcome: cmake -DEXPECT=fail|pass -DMATCH=<regex>
# -DCMD=<;-list> [-DCLEAN=<dir>] -P expect.cmake. "fail" needs a non-zero exit AND MATCH in the
# output, so a check that fails for another reason (a typo, a missing file) does not pass.
if(CLEAN)
  file(REMOVE_RECURSE "${CLEAN}")
endif()
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(EXPECT STREQUAL "fail" AND rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, but it passed:\n${all}")
elseif(EXPECT STREQUAL "pass" AND NOT rc EQUAL 0)
  message(FATAL_ERROR "expected a pass, but it failed (${rc}):\n${all}")
endif()
if(NOT all MATCHES "${MATCH}")
  message(FATAL_ERROR "output does not match '${MATCH}':\n${all}")
endif()
message(STATUS "as expected (${EXPECT}): ${MATCH}")
