#include "app/commands.h"

#include <cstdio>

namespace mr::app {

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "model-registry: %s\n", message.c_str());
  return code;
}

}  // namespace mr::app
