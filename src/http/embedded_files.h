// Files compiled into the binary by cmake/embed_files.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace mr::http {

struct EmbeddedFile {
  std::string_view path;  // relative to the embedded directory, e.g. "js/app.js"
  std::string_view bytes;
};

struct EmbeddedFileSet {
  std::string_view version;  // changes whenever any file's name or content changes
  std::vector<EmbeddedFile> files;
};

// The web UI's files (ui/ in the repository); defined by the generated source.
const EmbeddedFileSet& UiFiles();

}  // namespace mr::http
