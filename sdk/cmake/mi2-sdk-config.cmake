# find_package(mi2-sdk) for out-of-tree plugins: gives mi2::sdk and mi2_add_plugin().
include(CMakeFindDependencyMacro)
find_dependency(nlohmann_json 3.10)
include(${CMAKE_CURRENT_LIST_DIR}/mi2-sdk-targets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/Mi2Plugin.cmake)
