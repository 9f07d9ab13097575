# Run by cpack after it staged the files and before it packs them. For the
# tarball only: copies the shared libraries mi2, mi2-workload and the plugins
# need, and a bare Debian or Ubuntu lacks, into lib/mi2/lib, where their
# $ORIGIN-relative RPATH finds them. The C and C++ runtimes, libcurl (and what
# it needs) stay the system's. The .deb depends on Debian's packages instead.
if(NOT CPACK_GENERATOR STREQUAL "TGZ")
  return()
endif()
set(root ${CPACK_TEMPORARY_INSTALL_DIRECTORY})
file(GLOB plugins ${root}/${CPACK_MI2_PLUGIN_DIR}/*.so)
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES ${root}/${CPACK_MI2_BINDIR}/mi2 ${root}/${CPACK_MI2_BINDIR}/mi2-workload
  MODULES ${plugins}
  RESOLVED_DEPENDENCIES_VAR resolved
  UNRESOLVED_DEPENDENCIES_VAR unresolved
  PRE_EXCLUDE_REGEXES
    "^linux-vdso" "^ld-linux" "^libc\\.so" "^libm\\.so" "^libdl\\.so" "^librt\\.so"
    "^libpthread\\.so" "^libstdc\\+\\+\\.so" "^libgcc_s\\.so" "^libcurl" "^libz\\.so"
    "^libssl" "^libcrypto")
if(unresolved)
  message(FATAL_ERROR "mi2 package: cannot find the shared libraries ${unresolved}")
endif()
foreach(library ${resolved})
  file(COPY ${library} DESTINATION ${root}/${CPACK_MI2_BUNDLED_LIB_DIR} FOLLOW_SYMLINK_CHAIN)
endforeach()
