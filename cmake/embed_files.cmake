# Writes a C++ source defining `const mr::http::EmbeddedFileSet& <FUNCTION>()` (see
# src/http/embedded_files.h) holding the bytes of every file in FILES, a `|`-separated list of
# paths relative to BASE_DIR, and a version string derived from all names and contents, so a
# change to any file changes the version. Usage:
#   cmake -DBASE_DIR=ui -DFILES="index.html|app.css" -DOUTPUT=out.cpp
#         -DFUNCTION=mr::http::UiFiles -P embed_files.cmake
string(REPLACE "|" ";" files "${FILES}")
list(SORT files)
string(REGEX REPLACE "::[^:]*$" "" namespace "${FUNCTION}")
string(REGEX REPLACE "^.*::" "" name "${FUNCTION}")

set(arrays "")
set(entries "")
set(fingerprint "")
set(index 0)
foreach(rel IN LISTS files)
  file(READ "${BASE_DIR}/${rel}" hex HEX)
  file(SHA256 "${BASE_DIR}/${rel}" digest)
  string(APPEND fingerprint "${rel}\n${digest}\n")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char kFile${index}[] = {${bytes} 0};\n")
  string(APPEND entries "      {\"${rel}\", std::string_view(reinterpret_cast<const char*>(kFile${index}), sizeof(kFile${index}) - 1)},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(SHA256 version "${fingerprint}")
string(SUBSTRING "${version}" 0 12 version)

file(WRITE "${OUTPUT}.tmp" "// Generated from ${BASE_DIR}; do not edit.
#include \"http/embedded_files.h\"

namespace ${namespace} {
namespace {
${arrays}}  // namespace

const EmbeddedFileSet& ${name}() {
  static const EmbeddedFileSet* set = new EmbeddedFileSet{\"${version}\", {
${entries}  }};
  return *set;
}

}  // namespace ${namespace}
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
