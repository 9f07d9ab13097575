# mi2_add_plugin(NAME [NO_INSTALL] SOURCES...)
# Builds the plugin NAME as the module `mi2-plugin-NAME.so` with hidden symbols
# and no undefined references (-Wl,-z,defs), linked to the SDK. In this
# repository it lands in the build's plugin folder, where the host finds it,
# and installs into <prefix>/lib/mi2/plugins unless NO_INSTALL is given.
function(mi2_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "" ${ARGN})
  set(target mi2_plugin_${name})
  add_library(${target} MODULE ${ARG_UNPARSED_ARGUMENTS})
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
  if(NOT ARG_NO_INSTALL)
    include(GNUInstallDirs)
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/mi2/plugins)
  endif()
endfunction()
