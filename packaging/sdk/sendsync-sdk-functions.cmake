# sendsync_add_adapter(target id SOURCES src... [LIBS lib...] [OUTPUT_DIR dir]): builds an adapter
# as the loadable module <id>.so the sendsync host loads. The SDK is linked in with its symbols
# hidden, so two adapters (or an adapter and the host) never share each other's copies.
function(sendsync_add_adapter target id)
  cmake_parse_arguments(A "" "OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${A_SOURCES})
  target_link_libraries(${target} PRIVATE sendsync::sdk ${A_LIBS})
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${id}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_compile_features(${target} PRIVATE cxx_std_20)
  if(A_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${A_OUTPUT_DIR})
  endif()
endfunction()
