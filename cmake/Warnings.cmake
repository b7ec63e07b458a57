# bulkhead_warnings: an interface target every Bulkhead target links to get the project's warning set.
add_library(bulkhead_warnings INTERFACE)
target_compile_options(bulkhead_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(BULKHEAD_WERROR)
  target_compile_options(bulkhead_warnings INTERFACE -Werror)
endif()
add_library(bulkhead::warnings ALIAS bulkhead_warnings)
