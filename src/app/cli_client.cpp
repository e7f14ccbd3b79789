// The client commands' flags and arguments (CLI11). The work is done by
// src/cli (RegistryCommands over ApiClient); this file maps flags to options
// and a CommandError to its one-line message and exit code.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/commands.h"
#include "cli/registry_commands.h"

namespace mr::app {
namespace {

using cli::CommandError;
using cli::OutputFormat;
using cli::RegistryCommands;

struct ClientFlags {
  cli::ConnectionOptions connection;
  std::string output = "table";
  cli::ListOptions list;
  std::string model;
  std::string version;
  std::string uri;
  cli::RegisterOptions register_options;
};

void AddConnectionFlags(CLI::App* cmd, ClientFlags& flags) {
  cmd->add_option("--server", flags.connection.server,
                  "Model Registry server URL, http[s]://HOST[:PORT][/PATH]")
      ->envname("MR_SERVER")
      ->capture_default_str();
  cmd->add_option("--token", flags.connection.token,
                  "Bearer token sent as 'Authorization: Bearer TOKEN'")
      ->envname("MR_TOKEN");
  cmd->add_option("--ca-file", flags.connection.ca_file,
                  "PEM CA bundle that verifies an https:// server (default: the system's)")
      ->envname("MR_CA_FILE");
  cmd->add_option("-o,--output", flags.output, "Output format: table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();
}

void AddListFlags(CLI::App* cmd, ClientFlags& flags) {
  cmd->add_option("--filter", flags.list.filter,
                  "filterQuery, e.g. 'owner = \"alice\" AND framework = \"onnx\"'");
  cmd->add_option("--order-by", flags.list.order_by,
                  "Sort by id, create_time or last_update_time (default: id)")
      ->transform(CLI::IsMember({"id", "create_time", "last_update_time"}, CLI::ignore_case));
  cmd->add_flag("--desc", flags.list.descending, "Sort in descending order");
  cmd->add_option("--limit", flags.list.limit, "Print at most N items (default 0: all, paged)")
      ->check(CLI::NonNegativeNumber);
}

int RunClient(const ClientFlags& flags, const std::function<void(RegistryCommands&)>& body) {
  try {
    OutputFormat format = flags.output == "json"   ? OutputFormat::kJson
                          : flags.output == "yaml" ? OutputFormat::kYaml
                                                   : OutputFormat::kTable;
    cli::ApiClient api(flags.connection);
    // Buffered, so that a command failing half-way prints nothing on stdout.
    std::ostringstream out;
    RegistryCommands commands(api, format, out);
    body(commands);
    std::cout << out.str() << std::flush;
    return kExitOk;
  } catch (const CommandError& e) {
    return Fail(e.exit_code(), e.what());
  }
}

// A client subcommand with flags of its own: CLI11 applies environment
// variables to the options of every subcommand, parsed or not, so options
// must not share variables across subcommands.
struct Leaf {
  CLI::App* cmd;
  std::shared_ptr<ClientFlags> flags;
};

Leaf AddLeaf(CLI::App* parent, const std::string& name, const std::string& description) {
  return {parent->add_subcommand(name, description), std::make_shared<ClientFlags>()};
}

// Registers the leaf's callback: when parsed, main() runs `body` as a client command.
void OnRun(const Leaf& leaf, CommandRunner& selected,
           std::function<void(ClientFlags&, RegistryCommands&)> body) {
  CLI::App* cmd = leaf.cmd;
  std::shared_ptr<ClientFlags> flags = leaf.flags;
  AddConnectionFlags(cmd, *flags);
  cmd->callback([&selected, flags, body] {
    for (char& c : flags->list.order_by) c = static_cast<char>(std::toupper(c));
    selected = [flags, body] {
      return RunClient(*flags, [&](RegistryCommands& c) { body(*flags, c); });
    };
  });
}

void AddModelCommands(CLI::App& app, CommandRunner& selected) {
  CLI::App* models = app.add_subcommand("models", "List, show, archive and restore models");
  models->require_subcommand(1);

  Leaf list = AddLeaf(models, "list", "List registered models");
  AddListFlags(list.cmd, *list.flags);
  OnRun(list, selected, [](ClientFlags& f, RegistryCommands& c) { c.ListModels(f.list); });

  Leaf get = AddLeaf(models, "get", "Show one registered model");
  get.cmd->add_option("MODEL", get.flags->model, "Model name")->required();
  OnRun(get, selected, [](ClientFlags& f, RegistryCommands& c) { c.GetModel(f.model); });

  for (const std::string state : {"ARCHIVED", "LIVE"}) {
    bool archive = state == "ARCHIVED";
    Leaf leaf =
        AddLeaf(models, archive ? "archive" : "restore",
                archive ? "Set a model's state to ARCHIVED" : "Set a model's state back to LIVE");
    leaf.cmd->add_option("MODEL", leaf.flags->model, "Model name")->required();
    OnRun(leaf, selected,
          [state](ClientFlags& f, RegistryCommands& c) { c.SetModelState(f.model, state); });
  }
}

void AddVersionCommands(CLI::App& app, CommandRunner& selected) {
  CLI::App* versions =
      app.add_subcommand("versions", "List, show, archive and restore a model's versions");
  versions->require_subcommand(1);

  Leaf list = AddLeaf(versions, "list", "List the versions of a model");
  list.cmd->add_option("MODEL", list.flags->model, "Model name")->required();
  AddListFlags(list.cmd, *list.flags);
  OnRun(list, selected,
        [](ClientFlags& f, RegistryCommands& c) { c.ListVersions(f.model, f.list); });

  Leaf get = AddLeaf(versions, "get", "Show one version and its artifacts");
  get.cmd->add_option("MODEL", get.flags->model, "Model name")->required();
  get.cmd->add_option("VERSION", get.flags->version, "Version name")->required();
  OnRun(get, selected,
        [](ClientFlags& f, RegistryCommands& c) { c.GetVersion(f.model, f.version); });

  for (const std::string state : {"ARCHIVED", "LIVE"}) {
    bool archive = state == "ARCHIVED";
    Leaf leaf = AddLeaf(
        versions, archive ? "archive" : "restore",
        archive ? "Set a version's state to ARCHIVED" : "Set a version's state back to LIVE");
    leaf.cmd->add_option("MODEL", leaf.flags->model, "Model name")->required();
    leaf.cmd->add_option("VERSION", leaf.flags->version, "Version name")->required();
    OnRun(leaf, selected, [state](ClientFlags& f, RegistryCommands& c) {
      c.SetVersionState(f.model, f.version, state);
    });
  }
}

void AddRegisterCommand(CLI::App& app, CommandRunner& selected) {
  Leaf leaf = AddLeaf(&app, "register",
                      "Register a model version and its model artifact, creating the model if "
                      "missing (as the Python client's register_model)");
  CLI::App* cmd = leaf.cmd;
  cli::RegisterOptions& r = leaf.flags->register_options;
  const char* user = std::getenv("USER");
  r.author = user != nullptr ? user : "";
  cmd->add_option("MODEL", r.model, "Model name")->required();
  cmd->add_option("--version", r.version, "Version name (must be new)")->required();
  cmd->add_option("--uri", r.uri, "Where the model is stored, e.g. s3://bucket/path")->required();
  cmd->add_option("--format", r.format, "Model format name, e.g. onnx");
  cmd->add_option("--format-version", r.format_version, "Model format version, e.g. 1.14");
  cmd->add_option("--description", r.description, "Description of the version");
  cmd->add_option("--author", r.author, "Author of the version (default: $USER)");
  cmd->add_option("--owner", r.owner, "Owner of the model if it is created (default: --author)");
  cmd->add_option("--storage-key", r.storage_key, "Storage secret name");
  cmd->add_option("--storage-path", r.storage_path, "Storage path of the model");
  cmd->add_option("--service-account", r.service_account,
                  "Service account with the storage secret");
  cmd->add_option("--meta", r.meta,
                  "Version metadata KEY=VALUE, repeatable; VALUE is typed bool, int, double or "
                  "string by its text; KEY:TYPE=VALUE forces the type");
  OnRun(leaf, selected, [](ClientFlags& f, RegistryCommands& c) {
    if (f.register_options.owner.empty()) f.register_options.owner = f.register_options.author;
    c.Register(f.register_options);
  });
}

}  // namespace

void AddClientCommands(CLI::App& app, CommandRunner& selected) {
  AddModelCommands(app, selected);
  AddVersionCommands(app, selected);
  AddRegisterCommand(app, selected);

  Leaf deployments = AddLeaf(
      &app, "deployments", "List the inference services that serve a model (or one version of it)");
  deployments.cmd->add_option("MODEL", deployments.flags->model, "Model name")->required();
  deployments.cmd->add_option("VERSION", deployments.flags->version, "Version name (default: any)");
  OnRun(deployments, selected,
        [](ClientFlags& f, RegistryCommands& c) { c.Deployments(f.model, f.version); });

  Leaf resolve = AddLeaf(&app, "resolve",
                         "Print the storage URI of model-registry://MODEL/VERSION (or of MODEL's "
                         "latest live version)");
  resolve.cmd->add_option("URI", resolve.flags->uri, "model-registry://MODEL[/VERSION]")
      ->required();
  OnRun(resolve, selected, [](ClientFlags& f, RegistryCommands& c) { c.Resolve(f.uri); });
}

}  // namespace mr::app
