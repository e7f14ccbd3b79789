#include "cli/registry_commands.h"

#include "cli/command_error.h"
#include "cli/metadata.h"

namespace mr::cli {
namespace {

using nlohmann::json;

std::string PercentDecode(const std::string& s, const std::string& uri) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw CommandError(kExitUsage, "bad model URI '" + uri + "': broken %-escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Properties as "  KEY:  VALUE" rows under a "properties:" row.
void AppendProperties(const json& entity,
                      std::vector<std::pair<std::string, std::string>>& fields) {
  if (!entity.contains("customProperties") || entity["customProperties"].empty()) return;
  fields.emplace_back("properties", "");
  for (const auto& [key, value] : entity["customProperties"].items()) {
    fields.emplace_back("  " + key, FormatMetadataValue(value));
  }
}

std::string StateVerb(const std::string& state) {
  return state == "ARCHIVED" ? "archived" : "restored";
}

}  // namespace

ModelUri ParseModelUri(const std::string& uri) {
  const std::string scheme = "model-registry://";
  auto bad = [&] {
    return CommandError(kExitUsage,
                        "bad model URI '" + uri + "': expected model-registry://MODEL[/VERSION]");
  };
  if (uri.compare(0, scheme.size(), scheme) != 0) throw bad();
  std::string rest = uri.substr(scheme.size());
  size_t slash = rest.find('/');
  ModelUri parsed;
  parsed.model = PercentDecode(rest.substr(0, slash), uri);
  if (slash != std::string::npos) {
    std::string version = rest.substr(slash + 1);
    if (version.empty() || version.find('/') != std::string::npos) throw bad();
    parsed.version = PercentDecode(version, uri);
  }
  if (parsed.model.empty()) throw bad();
  return parsed;
}

json RegistryCommands::FindModel(const std::string& name) {
  return api_.Get("/registered_model", {{"name", name}});
}

json RegistryCommands::FindVersion(const json& model, const std::string& name) {
  return api_.Get("/model_version", {{"name", name}, {"parentResourceId", Member(model, "id")}});
}

std::string RegistryCommands::NameOf(const std::string& path) {
  auto it = names_.find(path);
  if (it != names_.end()) return it->second;
  std::optional<json> entity = api_.Find(path, {});
  std::string name = entity ? Member(*entity, "name") : "";
  names_[path] = name;
  return name;
}

void RegistryCommands::PrintData(const json& value) { out_ << FormatData(value, format_); }

void RegistryCommands::ListModels(const ListOptions& options) {
  std::vector<json> models = api_.ListAll("/registered_models", options);
  if (format_ != OutputFormat::kTable) return PrintData(models);
  std::vector<std::vector<std::string>> rows;
  for (const json& m : models) {
    rows.push_back({Member(m, "id"), Member(m, "name"), Member(m, "state"), Member(m, "owner"),
                    FormatEpochMs(Member(m, "lastUpdateTimeSinceEpoch"))});
  }
  out_ << FormatTable({"ID", "NAME", "STATE", "OWNER", "UPDATED (UTC)"}, rows);
}

void RegistryCommands::GetModel(const std::string& model) {
  json m = FindModel(model);
  if (format_ != OutputFormat::kTable) return PrintData(m);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", Member(m, "id")},
      {"name", Member(m, "name")},
      {"state", Member(m, "state")},
      {"owner", Member(m, "owner")},
      {"description", Member(m, "description")},
      {"externalId", Member(m, "externalId")},
      {"created (UTC)", FormatEpochMs(Member(m, "createTimeSinceEpoch"))},
      {"updated (UTC)", FormatEpochMs(Member(m, "lastUpdateTimeSinceEpoch"))}};
  AppendProperties(m, fields);
  out_ << FormatFields(fields);
}

void RegistryCommands::SetModelState(const std::string& model, const std::string& state) {
  json m = FindModel(model);
  json updated = api_.Patch("/registered_models/" + Member(m, "id"), {{"state", state}});
  if (format_ != OutputFormat::kTable) return PrintData(updated);
  out_ << StateVerb(state) << " model " << Member(updated, "name") << " (id "
       << Member(updated, "id") << ")\n";
}

void RegistryCommands::ListVersions(const std::string& model, const ListOptions& options) {
  json m = FindModel(model);
  std::vector<json> versions =
      api_.ListAll("/registered_models/" + Member(m, "id") + "/versions", options);
  if (format_ != OutputFormat::kTable) return PrintData(versions);
  std::vector<std::vector<std::string>> rows;
  for (const json& v : versions) {
    rows.push_back({Member(v, "id"), Member(v, "name"), Member(v, "state"), Member(v, "author"),
                    FormatEpochMs(Member(v, "createTimeSinceEpoch"))});
  }
  out_ << FormatTable({"ID", "NAME", "STATE", "AUTHOR", "CREATED (UTC)"}, rows);
}

void RegistryCommands::GetVersion(const std::string& model, const std::string& version) {
  json m = FindModel(model);
  json v = FindVersion(m, version);
  if (format_ != OutputFormat::kTable) return PrintData(v);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", Member(v, "id")},
      {"name", Member(v, "name")},
      {"model", Member(m, "name") + " (id " + Member(m, "id") + ")"},
      {"state", Member(v, "state")},
      {"author", Member(v, "author")},
      {"description", Member(v, "description")},
      {"externalId", Member(v, "externalId")},
      {"created (UTC)", FormatEpochMs(Member(v, "createTimeSinceEpoch"))},
      {"updated (UTC)", FormatEpochMs(Member(v, "lastUpdateTimeSinceEpoch"))}};
  AppendProperties(v, fields);
  std::vector<json> artifacts =
      api_.ListAll("/model_versions/" + Member(v, "id") + "/artifacts", {"", "ID", false, 0});
  if (!artifacts.empty()) fields.emplace_back("artifacts", "");
  for (const json& a : artifacts) {
    fields.emplace_back("  " + Member(a, "name"),
                        Member(a, "artifactType") + " " + Member(a, "uri"));
  }
  out_ << FormatFields(fields);
}

void RegistryCommands::SetVersionState(const std::string& model, const std::string& version,
                                       const std::string& state) {
  json m = FindModel(model);
  json v = FindVersion(m, version);
  json updated = api_.Patch("/model_versions/" + Member(v, "id"), {{"state", state}});
  if (format_ != OutputFormat::kTable) return PrintData(updated);
  out_ << StateVerb(state) << " version " << Member(updated, "name") << " of model "
       << Member(m, "name") << " (id " << Member(updated, "id") << ")\n";
}

// The official client's register_model sequence: find or create the model,
// refuse an existing version, create the version, then its model artifact.
void RegistryCommands::Register(const RegisterOptions& o) {
  json properties = ParseMetaArguments(o.meta);  // usage errors before any request
  std::optional<json> model = api_.Find("/registered_model", {{"name", o.model}});
  if (!model) {
    json body = {{"name", o.model}, {"state", "LIVE"}};
    if (!o.owner.empty()) body["owner"] = o.owner;
    model = api_.Post("/registered_models", body);
  }
  const std::string model_id = Member(*model, "id");
  if (api_.Find("/model_version", {{"name", o.version}, {"parentResourceId", model_id}})) {
    throw CommandError(kExitFailed,
                       "version " + o.version + " of model " + o.model + " already exists");
  }
  json version_body = {{"name", o.version}, {"registeredModelId", model_id}, {"state", "LIVE"}};
  if (!o.author.empty()) version_body["author"] = o.author;
  if (!o.description.empty()) version_body["description"] = o.description;
  if (!properties.empty()) version_body["customProperties"] = properties;
  json version = api_.Post("/model_versions", version_body);

  json artifact_body = {
      {"artifactType", "model-artifact"}, {"name", o.model}, {"uri", o.uri}, {"state", "UNKNOWN"}};
  const std::pair<const char*, const std::string*> optional_fields[] = {
      {"modelFormatName", &o.format},
      {"modelFormatVersion", &o.format_version},
      {"storageKey", &o.storage_key},
      {"storagePath", &o.storage_path},
      {"serviceAccountName", &o.service_account}};
  for (const auto& [key, value] : optional_fields) {
    if (!value->empty()) artifact_body[key] = *value;
  }
  json artifact =
      api_.Post("/model_versions/" + Member(version, "id") + "/artifacts", artifact_body);

  if (format_ != OutputFormat::kTable) {
    return PrintData(
        {{"registeredModel", *model}, {"modelVersion", version}, {"modelArtifact", artifact}});
  }
  out_ << "registered model " << o.model << " version " << o.version << " (model id " << model_id
       << ", version id " << Member(version, "id") << ", artifact id " << Member(artifact, "id")
       << ")\n";
}

void RegistryCommands::Deployments(const std::string& model, const std::string& version) {
  json m = FindModel(model);
  std::string filter = "registeredModelId = " + Member(m, "id");
  if (!version.empty()) filter += " AND modelVersionId = " + Member(FindVersion(m, version), "id");
  std::vector<json> services = api_.ListAll("/inference_services", {filter, "ID", false, 0});
  if (format_ != OutputFormat::kTable) return PrintData(services);
  std::vector<std::vector<std::string>> rows;
  for (const json& s : services) {
    std::string version_id = Member(s, "modelVersionId");
    std::string serves = version_id.empty() ? "(latest)" : NameOf("/model_versions/" + version_id);
    rows.push_back({Member(s, "id"), Member(s, "name"), Member(s, "desiredState"),
                    NameOf("/serving_environments/" + Member(s, "servingEnvironmentId")), serves,
                    Member(s, "runtime")});
  }
  out_ << FormatTable({"ID", "NAME", "STATE", "ENVIRONMENT", "VERSION", "RUNTIME"}, rows);
}

void RegistryCommands::Resolve(const std::string& uri) {
  ModelUri parsed = ParseModelUri(uri);
  json m = FindModel(parsed.model);
  json v;
  if (!parsed.version.empty()) {
    v = FindVersion(m, parsed.version);
  } else {
    std::vector<json> latest =
        api_.ListAll("/registered_models/" + Member(m, "id") + "/versions",
                     {"state = \"LIVE\"", "CREATE_TIME", /*descending=*/true, /*limit=*/1});
    if (latest.empty()) {
      throw CommandError(kExitNotFound, "model " + parsed.model + " has no live version");
    }
    v = latest.front();
  }
  for (const json& a :
       api_.ListAll("/model_versions/" + Member(v, "id") + "/artifacts", {"", "ID", false, 0})) {
    if (Member(a, "artifactType") == "model-artifact" && !Member(a, "uri").empty()) {
      if (format_ != OutputFormat::kTable) return PrintData(a);
      out_ << Member(a, "uri") << "\n";
      return;
    }
  }
  throw CommandError(kExitNotFound, "version " + Member(v, "name") + " of model " + parsed.model +
                                        " has no model artifact with a URI");
}

}  // namespace mr::cli
