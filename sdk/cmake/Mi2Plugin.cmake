# mi2_add_plugin(NAME SOURCES...)
# Builds the plugin NAME as the module `mi2-plugin-NAME.so` with hidden symbols
# and no undefined references (-Wl,-z,defs), linked to the SDK. In this
# repository it lands in the build's plugin folder, where the host finds it.
function(mi2_add_plugin name)
  set(target mi2_plugin_${name})
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "mi2-plugin-${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED MI2_BUILD_PLUGIN_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${MI2_BUILD_PLUGIN_DIR})
  endif()
  target_link_libraries(${target} PRIVATE mi2::sdk)
  target_link_options(${target} PRIVATE -Wl,-z,defs)
  if(DEFINED MI2_INSTALL_PLUGIN_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${MI2_INSTALL_PLUGIN_DIR})
  endif()
endfunction()
