// `--meta` arguments of `register`: KEY=VALUE with the value's type inferred,
// or KEY:TYPE=VALUE with it forced (docs/CLI.md).
//
//   ParseMetaArgument("epochs=10")     -> {"epochs", MetadataIntValue "10"}
//   ParseMetaArgument("tag:string=10") -> {"tag", MetadataStringValue "10"}
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mr::cli {

struct MetaArgument {
  std::string key;
  nlohmann::json value;  // a MetadataValue as the API writes it
};

// Throws CommandError(kExitUsage) for malformed arguments.
MetaArgument ParseMetaArgument(const std::string& argument);

// Parses every argument into a customProperties object; a key given twice is
// a usage error.
nlohmann::json ParseMetaArguments(const std::vector<std::string>& arguments);

}  // namespace mr::cli
