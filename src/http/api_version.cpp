#include "http/api_version.h"

namespace mr::http {

// Generated from openapi/*.yaml by cmake/embed_text.cmake.
const std::string& OpenApiText_v1();
const std::string& OpenApiText_v1alpha3();

namespace {

// v1 dropped experiments and their links from artifacts, and writes
// Metric.step as an int64 string (docs/api-behaviour.md §1.1).
constexpr WireProfile kV1 = {ApiVersion::kV1,
                             "v1",
                             "/api/model_registry/v1",
                             /*deprecated=*/false,
                             /*serves_experiments=*/false,
                             /*writes_experiment_links=*/false,
                             /*integers_as_strings=*/true};
constexpr WireProfile kV1Alpha3 = {ApiVersion::kV1Alpha3,
                                   "v1alpha3",
                                   "/api/model_registry/v1alpha3",
                                   /*deprecated=*/true,
                                   /*serves_experiments=*/true,
                                   /*writes_experiment_links=*/true,
                                   /*integers_as_strings=*/false};

}  // namespace

const std::vector<const WireProfile*>& Profiles() {
  static const std::vector<const WireProfile*> profiles = {&kV1, &kV1Alpha3};
  return profiles;
}

const WireProfile& ProfileFor(ApiVersion version) {
  return version == ApiVersion::kV1 ? kV1 : kV1Alpha3;
}

const std::string& OpenApiSpec(const WireProfile& profile) {
  return profile.version == ApiVersion::kV1 ? OpenApiText_v1() : OpenApiText_v1alpha3();
}

const WireProfile* ProfileForPath(std::string_view path) {
  for (const WireProfile* profile : Profiles()) {
    std::string_view base = profile->base_path;
    if (path.compare(0, base.size(), base) == 0 &&
        (path.size() == base.size() || path[base.size()] == '/')) {
      return profile;
    }
  }
  return nullptr;
}

}  // namespace mr::http
