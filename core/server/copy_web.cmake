# Copies the dashboard's files (SRC) to where `sendsync serve` finds them (OUT); run at build time
# by the sendsync_web target so edits are picked up on every build. A missing SRC leaves OUT empty.
file(MAKE_DIRECTORY ${OUT})
if(EXISTS ${SRC})
  file(COPY ${SRC}/ DESTINATION ${OUT})
endif()
