// File: http/api_version.h
//
// The API versions served side by side. Each is a wire profile over the one
// route table and the one JSON codec: the profile says which operations exist
// and how a few fields are written (docs/api-behaviour.md §1.1).
//
//   const WireProfile* profile = ProfileForPath(request.path);
//   if (profile && profile->deprecated) ...;
//
// Thread-safety: profiles are immutable statics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mr::http {

enum class ApiVersion { kV1, kV1Alpha3 };

struct WireProfile {
  ApiVersion version;
  std::string_view name;       // "v1"
  std::string_view base_path;  // "/api/model_registry/v1"
  // Answers carry Deprecation and a Link to the successor version.
  bool deprecated;
  // The experiment, experiment-run and metric-history operations exist.
  bool serves_experiments;
  // Artifacts carry their experimentId and experimentRunId.
  bool writes_experiment_links;
  // Integer fields (FieldType::kInt32, i.e. Metric.step) are int64 values
  // written as JSON strings ("3") rather than JSON numbers.
  bool integers_as_strings;
};

// Every served version, the current one first.
const std::vector<const WireProfile*>& Profiles();

const WireProfile& ProfileFor(ApiVersion version);

// The version whose base path is `path` or a prefix of it ending at a '/';
// nullptr when none.
const WireProfile* ProfileForPath(std::string_view path);

// The OpenAPI document of `profile`'s version, openapi/<name>.yaml as built.
const std::string& OpenApiSpec(const WireProfile& profile);

// The current version, which deprecated ones name as their successor.
inline const WireProfile& CurrentProfile() { return ProfileFor(ApiVersion::kV1); }

}  // namespace mr::http
