// The route table: data rows (method, path template, operationId, handler)
// matched segment by segment. Literal segments win over {params} because rows
// are tried in table order and literal rows come first.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/api_version.h"
#include "model_registry/registry_service.h"
#include "model_registry/status.h"

namespace mr::http {

using QueryParams = std::multimap<std::string, std::string>;

struct ApiRequest {
  const WireProfile* profile = nullptr;  // the version the request addressed
  Actor actor;                           // who asks, for write calls
  std::vector<std::string> path_params;
  const QueryParams* query = nullptr;
  const std::string* body = nullptr;

  // The first value of query parameter `name`, if present.
  std::optional<std::string> Query(const char* name) const;
};

struct ApiReply {
  int status = 200;
  std::string body;  // a serialised JSON document
};

using Handler = std::function<Result<ApiReply>(RegistryService&, const ApiRequest&)>;

struct Route {
  std::string method;
  std::string path;  // relative to a version's base path, e.g. "/registered_models/{id}"
  std::string operation_id;
  Handler handler;
  // An experiment, run or metric-history operation: served only by versions
  // with WireProfile::serves_experiments.
  bool experiments = false;

  bool ServedBy(const WireProfile& profile) const {
    return profile.serves_experiments || !experiments;
  }
};

// All API routes of every version, in match order.
const std::vector<Route>& ApiRoutes();

struct RouteMatch {
  const Route* route = nullptr;     // set when method and path match
  std::vector<std::string> params;  // path parameters, in order
  bool path_known = false;          // some route has this path (405 vs 404)
};

// Matches `path` (relative to profile.base_path) and `method` among the routes
// `profile` serves.
RouteMatch MatchRoute(const WireProfile& profile, std::string_view method, std::string_view path);

}  // namespace mr::http
