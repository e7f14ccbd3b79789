# Writes a C++ source defining `const std::string& <FUNCTION>()` that returns
# the bytes of INPUT. Usage:
#   cmake -DINPUT=file -DOUTPUT=out.cpp -DFUNCTION=mr::OpenApiSpecText -P embed_text.cmake
if(EXISTS "${INPUT}")
  file(READ "${INPUT}" hex HEX)
else()
  set(hex "")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "::[^:]*$" "" namespace "${FUNCTION}")
string(REGEX REPLACE "^.*::" "" name "${FUNCTION}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT}; do not edit.\n#include <string>\n\nnamespace ${namespace} {\nnamespace {\nconst char kBytes[] = {${bytes} 0};\n}  // namespace\n\nconst std::string& ${name}() {\n  static const std::string* text = new std::string(kBytes, sizeof(kBytes) - 1);\n  return *text;\n}\n\n}  // namespace ${namespace}\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
