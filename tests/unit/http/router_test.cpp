// The route table: every path shape maps to the operationId of
// docs/api-behaviour.md §5/§15, written out by hand below.
#include "http/router.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

namespace mr::http {
namespace {

const WireProfile& kV1Alpha3 = ProfileFor(ApiVersion::kV1Alpha3);

struct Case {
  const char* method;
  const char* path;
  const char* operation_id;
  std::vector<std::string> params;
};

TEST_CASE("MatchRoute maps every path shape to its operation", "[http][router]") {
  const std::vector<Case> cases = {
      {"GET", "/registered_models", "getRegisteredModels", {}},
      {"POST", "/registered_models", "createRegisteredModel", {}},
      {"GET", "/registered_models/1", "getRegisteredModel", {"1"}},
      {"PATCH", "/registered_models/42", "updateRegisteredModel", {"42"}},
      {"GET", "/registered_model", "findRegisteredModel", {}},
      {"GET", "/registered_models/3/versions", "getRegisteredModelVersions", {"3"}},
      {"POST", "/registered_models/3/versions", "createRegisteredModelVersion", {"3"}},
      {"GET", "/model_versions", "getModelVersions", {}},
      {"POST", "/model_versions", "createModelVersion", {}},
      {"GET", "/model_versions/5", "getModelVersion", {"5"}},
      {"PATCH", "/model_versions/5", "updateModelVersion", {"5"}},
      {"GET", "/model_version", "findModelVersion", {}},
      {"GET", "/model_versions/5/artifacts", "getModelVersionArtifacts", {"5"}},
      {"POST", "/model_versions/5/artifacts", "upsertModelVersionArtifact", {"5"}},
      {"GET", "/artifacts", "getArtifacts", {}},
      {"POST", "/artifacts", "createArtifact", {}},
      {"GET", "/artifacts/8", "getArtifact", {"8"}},
      {"PATCH", "/artifacts/8", "updateArtifact", {"8"}},
      {"GET", "/artifact", "findArtifact", {}},
      {"GET", "/model_artifacts", "getModelArtifacts", {}},
      {"POST", "/model_artifacts", "createModelArtifact", {}},
      {"GET", "/model_artifacts/9", "getModelArtifact", {"9"}},
      {"PATCH", "/model_artifacts/9", "updateModelArtifact", {"9"}},
      {"GET", "/model_artifact", "findModelArtifact", {}},
      {"GET", "/serving_environments", "getServingEnvironments", {}},
      {"POST", "/serving_environments", "createServingEnvironment", {}},
      {"GET", "/serving_environments/2", "getServingEnvironment", {"2"}},
      {"PATCH", "/serving_environments/2", "updateServingEnvironment", {"2"}},
      {"GET", "/serving_environment", "findServingEnvironment", {}},
      {"GET",
       "/serving_environments/2/inference_services",
       "getEnvironmentInferenceServices",
       {"2"}},
      {"POST",
       "/serving_environments/2/inference_services",
       "createEnvironmentInferenceService",
       {"2"}},
      {"GET", "/inference_services", "getInferenceServices", {}},
      {"POST", "/inference_services", "createInferenceService", {}},
      {"GET", "/inference_services/4", "getInferenceService", {"4"}},
      {"PATCH", "/inference_services/4", "updateInferenceService", {"4"}},
      {"GET", "/inference_service", "findInferenceService", {}},
      {"GET", "/inference_services/4/model", "getInferenceServiceModel", {"4"}},
      {"GET", "/inference_services/4/version", "getInferenceServiceVersion", {"4"}},
      {"GET", "/inference_services/4/serves", "getInferenceServiceServes", {"4"}},
      {"POST", "/inference_services/4/serves", "createInferenceServiceServe", {"4"}},
      {"GET", "/experiments", "getExperiments", {}},
      {"POST", "/experiments", "createExperiment", {}},
      {"GET", "/experiments/6", "getExperiment", {"6"}},
      {"PATCH", "/experiments/6", "updateExperiment", {"6"}},
      {"GET", "/experiment", "findExperiment", {}},
      {"GET", "/experiments/6/experiment_runs", "getExperimentExperimentRuns", {"6"}},
      {"POST", "/experiments/6/experiment_runs", "createExperimentExperimentRun", {"6"}},
      {"GET", "/experiment_runs", "getExperimentRuns", {}},
      {"POST", "/experiment_runs", "createExperimentRun", {}},
      {"GET", "/experiment_runs/7", "getExperimentRun", {"7"}},
      {"PATCH", "/experiment_runs/7", "updateExperimentRun", {"7"}},
      {"GET", "/experiment_run", "findExperimentRun", {}},
      {"GET", "/experiment_runs/7/artifacts", "getExperimentRunArtifacts", {"7"}},
      {"POST", "/experiment_runs/7/artifacts", "upsertExperimentRunArtifact", {"7"}},
      {"GET", "/experiment_runs/7/metric_history", "getExperimentRunMetricHistory", {"7"}},
      {"GET", "/experiment_runs/metric_history", "getExperimentRunsMetricHistory", {}},
      // Ids are validated by the handlers, not by the router.
      {"GET", "/registered_models/abc", "getRegisteredModel", {"abc"}},
      {"GET",
       "/experiment_runs/metric_history/metric_history",
       "getExperimentRunMetricHistory",
       {"metric_history"}},
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.path);
    RouteMatch match = MatchRoute(kV1Alpha3, c.method, c.path);
    CHECK(match.path_known);
    REQUIRE(match.route != nullptr);
    CHECK(match.route->operation_id == c.operation_id);
    CHECK(match.route->method == c.method);
    CHECK(match.params == c.params);
  }
}

TEST_CASE("metric_history is never taken for a run id", "[http][router]") {
  RouteMatch get = MatchRoute(kV1Alpha3, "GET", "/experiment_runs/metric_history");
  REQUIRE(get.route != nullptr);
  CHECK(get.route->operation_id == "getExperimentRunsMetricHistory");
  CHECK(get.params.empty());
  // Other methods on that path are 405, not getExperimentRun's PATCH.
  for (const char* method : {"PATCH", "POST", "DELETE"}) {
    INFO(method);
    RouteMatch other = MatchRoute(kV1Alpha3, method, "/experiment_runs/metric_history");
    CHECK(other.path_known);
    CHECK(other.route == nullptr);
  }
}

TEST_CASE("A known path with another method is path_known without a route", "[http][router]") {
  struct Miss {
    const char* method;
    const char* path;
  };
  for (const Miss& m : std::vector<Miss>{{"DELETE", "/registered_models/1"},
                                         {"PUT", "/registered_models/1"},
                                         {"PATCH", "/registered_models"},
                                         {"POST", "/registered_model"},
                                         {"PATCH", "/inference_services/4/serves"},
                                         {"POST", "/experiment_runs/7/metric_history"},
                                         {"get", "/registered_models"}}) {
    INFO(m.method << " " << m.path);
    RouteMatch match = MatchRoute(kV1Alpha3, m.method, m.path);
    CHECK(match.path_known);
    CHECK(match.route == nullptr);
  }
}

TEST_CASE("Unknown paths are not path_known", "[http][router]") {
  for (const char* path :
       {"", "/", "registered_models", "/registered_models/", "/registered_models//versions",
        "/registered_models/1/", "/registered_models/1/versions/2", "/foo", "/Registered_Models",
        "/serving_environments/1/serves", "/model_artifacts/1/versions", "//registered_models"}) {
    INFO("'" << path << "'");
    RouteMatch match = MatchRoute(kV1Alpha3, "GET", path);
    CHECK_FALSE(match.path_known);
    CHECK(match.route == nullptr);
  }
}

TEST_CASE("ApiRoutes holds exactly the 56 operations, each once", "[http][router]") {
  const std::set<std::string> expected = {"getRegisteredModels",
                                          "createRegisteredModel",
                                          "getRegisteredModel",
                                          "updateRegisteredModel",
                                          "findRegisteredModel",
                                          "getRegisteredModelVersions",
                                          "createRegisteredModelVersion",
                                          "getModelVersions",
                                          "createModelVersion",
                                          "getModelVersion",
                                          "updateModelVersion",
                                          "findModelVersion",
                                          "getModelVersionArtifacts",
                                          "upsertModelVersionArtifact",
                                          "getArtifacts",
                                          "createArtifact",
                                          "getArtifact",
                                          "updateArtifact",
                                          "findArtifact",
                                          "getModelArtifacts",
                                          "createModelArtifact",
                                          "getModelArtifact",
                                          "updateModelArtifact",
                                          "findModelArtifact",
                                          "getServingEnvironments",
                                          "createServingEnvironment",
                                          "getServingEnvironment",
                                          "updateServingEnvironment",
                                          "findServingEnvironment",
                                          "getEnvironmentInferenceServices",
                                          "createEnvironmentInferenceService",
                                          "getInferenceServices",
                                          "createInferenceService",
                                          "getInferenceService",
                                          "updateInferenceService",
                                          "findInferenceService",
                                          "getInferenceServiceModel",
                                          "getInferenceServiceVersion",
                                          "getInferenceServiceServes",
                                          "createInferenceServiceServe",
                                          "getExperiments",
                                          "createExperiment",
                                          "getExperiment",
                                          "updateExperiment",
                                          "findExperiment",
                                          "getExperimentExperimentRuns",
                                          "createExperimentExperimentRun",
                                          "getExperimentRuns",
                                          "createExperimentRun",
                                          "getExperimentRun",
                                          "updateExperimentRun",
                                          "findExperimentRun",
                                          "getExperimentRunArtifacts",
                                          "upsertExperimentRunArtifact",
                                          "getExperimentRunMetricHistory",
                                          "getExperimentRunsMetricHistory"};
  REQUIRE(expected.size() == 56);

  const std::vector<Route>& routes = ApiRoutes();
  CHECK(routes.size() == 56);
  std::set<std::string> ids;
  std::set<std::string> method_paths;
  for (const Route& route : routes) {
    INFO(route.method << " " << route.path);
    CHECK(ids.insert(route.operation_id).second);
    CHECK(method_paths.insert(route.method + " " + route.path).second);
    CHECK((route.method == "GET" || route.method == "POST" || route.method == "PATCH"));
    CHECK(route.path.front() == '/');
    CHECK(static_cast<bool>(route.handler));
  }
  CHECK(ids == expected);
}

TEST_CASE("Every route is reachable through MatchRoute", "[http][router]") {
  for (const Route& route : ApiRoutes()) {
    // Substitute "1" for each {param}.
    std::string path;
    size_t params = 0;
    for (size_t i = 0; i < route.path.size(); ++i) {
      if (route.path[i] == '{') {
        path += "1";
        i = route.path.find('}', i);
        ++params;
      } else {
        path += route.path[i];
      }
    }
    INFO(route.method << " " << path);
    RouteMatch match = MatchRoute(kV1Alpha3, route.method, path);
    CHECK(match.route == &route);
    CHECK(match.params.size() == params);
  }
}

TEST_CASE("v1 serves every operation but the experiment family", "[http][router][v1]") {
  const WireProfile& v1 = ProfileFor(ApiVersion::kV1);
  size_t served = 0;
  for (const Route& route : ApiRoutes()) {
    std::string path = route.path;
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      path.replace(open, path.find('}', open) - open + 1, "1");
    }
    INFO(route.method << " " << path);
    RouteMatch match = MatchRoute(v1, route.method, path);
    bool experiment_family = path.rfind("/experiment", 0) == 0;
    CHECK(route.experiments == experiment_family);
    if (experiment_family) {
      CHECK(match.route == nullptr);
      CHECK_FALSE(match.path_known);  // a 404, like any unknown path
    } else {
      CHECK(match.route == &route);
      ++served;
    }
  }
  CHECK(served == 40);
}

TEST_CASE("ProfileForPath picks the version by whole path segments", "[http][router][v1]") {
  struct Case {
    const char* path;
    const char* version;  // nullptr: none
  };
  for (const Case& c :
       std::vector<Case>{{"/api/model_registry/v1", "v1"},
                         {"/api/model_registry/v1/registered_models", "v1"},
                         {"/api/model_registry/v1alpha3/registered_models", "v1alpha3"},
                         {"/api/model_registry/v1alpha3", "v1alpha3"},
                         {"/api/model_registry/v1alpha", nullptr},
                         {"/api/model_registry/v2/registered_models", nullptr},
                         {"/api/model_registry/v1x/registered_models", nullptr},
                         {"/api/model_registry", nullptr},
                         {"/", nullptr}}) {
    INFO(c.path);
    const WireProfile* profile = ProfileForPath(c.path);
    if (c.version == nullptr) {
      CHECK(profile == nullptr);
    } else {
      REQUIRE(profile != nullptr);
      CHECK(profile->name == c.version);
    }
  }
  CHECK(ProfileFor(ApiVersion::kV1Alpha3).deprecated);
  CHECK_FALSE(ProfileFor(ApiVersion::kV1).deprecated);
}

}  // namespace
}  // namespace mr::http
