// The client commands (`models`, `versions`, `register`, `deployments`,
// `resolve`) on top of ApiClient. Each prints its result to `out` in the
// chosen format and throws CommandError on failure (docs/CLI.md).
//
//   ApiClient api(connection);
//   RegistryCommands commands(api, OutputFormat::kTable, std::cout);
//   commands.ListModels({.filter = "owner = \"alice\""});
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/output.h"

namespace mr::cli {

// `register`: what the official Python client's register_model takes.
struct RegisterOptions {
  std::string model;
  std::string version;
  std::string uri;
  std::string format;          // modelFormatName
  std::string format_version;  // modelFormatVersion
  std::string description;     // of the version
  std::string author;          // of the version
  std::string owner;           // of the model, when it is created
  std::string storage_key;
  std::string storage_path;
  std::string service_account;
  std::vector<std::string> meta;  // KEY=VALUE, typed (cli/metadata.h)
};

// A parsed model-registry://MODEL[/VERSION] URI.
struct ModelUri {
  std::string model;
  std::string version;  // empty: the latest live version
};

// Throws CommandError(kExitUsage) unless `uri` is model-registry://MODEL or
// model-registry://MODEL/VERSION (components may be percent-encoded).
ModelUri ParseModelUri(const std::string& uri);

class RegistryCommands {
 public:
  RegistryCommands(ApiClient& api, OutputFormat format, std::ostream& out)
      : api_(api), format_(format), out_(out) {}

  void ListModels(const ListOptions& options);
  void GetModel(const std::string& model);
  void SetModelState(const std::string& model, const std::string& state);
  void ListVersions(const std::string& model, const ListOptions& options);
  void GetVersion(const std::string& model, const std::string& version);
  void SetVersionState(const std::string& model, const std::string& version,
                       const std::string& state);
  void Register(const RegisterOptions& options);
  // `version` empty: every inference service of the model.
  void Deployments(const std::string& model, const std::string& version);
  void Resolve(const std::string& uri);

 private:
  nlohmann::json FindModel(const std::string& name);
  nlohmann::json FindVersion(const nlohmann::json& model, const std::string& name);
  // The name of the entity at `path`, cached; "" when it cannot be read.
  std::string NameOf(const std::string& path);
  void PrintData(const nlohmann::json& value);

  ApiClient& api_;
  OutputFormat format_;
  std::ostream& out_;
  std::map<std::string, std::string> names_;
};

}  // namespace mr::cli
