# bulkhead_warnings: an interface target every Bulkhead target links to get the project's warning set.
add_library(bulkhead_warnings INTERFACE)
target_compile_options(bulkhead_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
# GCC 12 at -O3 reports std::string concatenation inside libstdc++ as -Wrestrict (GCC bug 105651, fixed in
# 13); it fires in the Release preset only and says nothing about our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(bulkhead_warnings INTERFACE -Wno-restrict)
endif()
if(BULKHEAD_WERROR)
  target_compile_options(bulkhead_warnings INTERFACE -Werror)
endif()
add_library(bulkhead::warnings ALIAS bulkhead_warnings)
