# Fails when a layer's sources include a header its layer may not see, and
# otherwise touches STAMP. Include paths already hide the other layers' private
# headers (src/<layer>/); system headers in /usr/include cannot be hidden that
# way, so this check keeps, for example, SQLite out of the domain and HTTP
# out of the storage layer. Usage:
#   cmake -DLAYER=domain -DSOURCES="a.cpp|b.h" -DFORBIDS="httplib|sqlite3" -DSTAMP=f -P check_includes.cmake
string(REPLACE "|" ";" sources "${SOURCES}")
string(REPLACE "|" ";" forbids "${FORBIDS}")
set(violations "")
foreach(source ${sources})
  file(STRINGS "${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*<")
  foreach(line ${includes})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<([^>]*)>.*$" "\\1" header "${line}")
    foreach(forbidden ${forbids})
      if(header MATCHES "^${forbidden}")
        string(APPEND violations "\n  ${source}: <${header}>")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "layer '${LAYER}' includes headers it may not see:${violations}")
endif()
file(TOUCH "${STAMP}")
