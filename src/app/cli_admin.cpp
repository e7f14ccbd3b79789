// The admin commands: whole-database operations on a registry's storage,
// safe while a server runs on the same database. The work is done by the
// storage layer (admin_store.h) and the export format (ndjson_transfer.h);
// this file only maps flags and results to output and exit codes.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "model_registry/ndjson_transfer.h"
#include "model_registry/sqlite_repository.h"

namespace mr::app {
namespace {

struct DatabaseFlags {
  SqliteOptions sqlite;
  std::string database_url;
};

void AddDatabaseFlags(CLI::App* cmd, DatabaseFlags& flags) {
  cmd->add_option("--db-file", flags.sqlite.path, "SQLite database file")
      ->envname("MR_DB_FILE")
      ->capture_default_str();
  cmd->add_option("--database-url", flags.database_url,
                  "Database URL; only sqlite:PATH works today (no PostgreSQL backend yet)")
      ->envname("MR_DATABASE_URL");
}

// Resolves --database-url into the SQLite path. Returns false (after printing
// the error) for URLs no backend of this binary can open.
bool ResolveDatabase(DatabaseFlags& flags) {
  if (flags.database_url.empty()) return true;
  const std::string prefix = "sqlite:";
  if (flags.database_url.compare(0, prefix.size(), prefix) == 0 &&
      flags.database_url.size() > prefix.size()) {
    flags.sqlite.path = flags.database_url.substr(prefix.size());
    return true;
  }
  Fail(kExitUsage, "unsupported --database-url '" + flags.database_url +
                       "': this binary has only the SQLite backend (use sqlite:PATH or --db-file)");
  return false;
}

int StoreError(const Status& status) {
  return Fail(status.code() == StatusCode::kNotFound ? kExitNotFound : kExitFailed,
              status.message());
}

int RunBackup(DatabaseFlags& flags, const std::string& dest) {
  if (!ResolveDatabase(flags)) return kExitUsage;
  auto store = OpenSqliteAdminStore(flags.sqlite, AdminOpenMode::kReadExisting);
  if (!store.ok()) return StoreError(store.status());
  Status status = (*store)->Backup(dest);
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "backed up %s to %s (schema version %d)\n", flags.sqlite.path.c_str(),
               dest.c_str(), (*store)->SchemaVersion());
  return kExitOk;
}

int RunExport(DatabaseFlags& flags, const std::string& output) {
  if (!ResolveDatabase(flags)) return kExitUsage;
  auto store = OpenSqliteAdminStore(flags.sqlite, AdminOpenMode::kReadExisting);
  if (!store.ok()) return StoreError(store.status());
  if ((*store)->SchemaVersion() != LatestSchemaVersion()) {
    return Fail(kExitFailed,
                "database schema version " + std::to_string((*store)->SchemaVersion()) +
                    " differs from this binary's " + std::to_string(LatestSchemaVersion()) +
                    "; run `model-registry migrate` first");
  }
  // A file is written under a temporary name and renamed when complete, so
  // FILE never holds a partial export.
  const bool to_file = !output.empty() && output != "-";
  const std::string partial = output + ".partial-" + std::to_string(getpid());
  std::ofstream file;
  if (to_file) {
    file.open(partial, std::ios::out | std::ios::trunc);
    if (!file) return Fail(kExitFailed, "cannot write " + output);
  }
  std::ostream& out = to_file ? file : std::cout;
  TransferCounts counts;
  Status status = ExportNdjson(**store, out, &counts);
  if (to_file) {
    file.close();
    if (status.ok() && (!file || std::rename(partial.c_str(), output.c_str()) != 0)) {
      status = Status::Unavailable("cannot write " + output);
    }
    std::remove(partial.c_str());
  }
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "exported %lld entities and %lld links\n",
               static_cast<long long>(counts.entities), static_cast<long long>(counts.links));
  return kExitOk;
}

int RunImport(DatabaseFlags& flags, const std::string& input) {
  if (!ResolveDatabase(flags)) return kExitUsage;
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    if (!file) return Fail(kExitFailed, "cannot read " + input);
  }
  std::istream& in = file.is_open() ? file : std::cin;
  auto store = OpenSqliteAdminStore(flags.sqlite, AdminOpenMode::kCreateOrMigrate);
  if (!store.ok()) return StoreError(store.status());
  TransferCounts counts;
  Status status = ImportNdjson(**store, in, &counts);
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "imported %lld entities and %lld links into %s\n",
               static_cast<long long>(counts.entities), static_cast<long long>(counts.links),
               flags.sqlite.path.c_str());
  return kExitOk;
}

int RunMigrate(DatabaseFlags& flags) {
  if (!ResolveDatabase(flags)) return kExitUsage;
  auto report = MigrateSqliteDatabase(flags.sqlite);
  if (!report.ok()) return StoreError(report.status());
  std::printf("schema version %d\n", report->to_version);
  if (report->from_version != report->to_version) {
    std::fprintf(stderr, "migrated %s from schema version %d to %d\n", flags.sqlite.path.c_str(),
                 report->from_version, report->to_version);
  }
  return kExitOk;
}

}  // namespace

void AddAdminCommands(CLI::App& app, CommandRunner& selected) {
  // Each command has its own variables: CLI11 applies environment variables
  // (MR_DB_FILE) to the options of every subcommand, parsed or not.
  struct Flags {
    DatabaseFlags database;
    std::string path;
  };
  auto add = [&app](const char* name, const char* description) {
    auto flags = std::make_shared<Flags>();
    CLI::App* cmd = app.add_subcommand(name, description);
    AddDatabaseFlags(cmd, flags->database);
    return std::make_pair(cmd, flags);
  };

  auto [backup, backup_flags] = add(
      "backup", "Write a consistent copy of the database to DEST while a server may be writing");
  backup->add_option("DEST", backup_flags->path, "Path of the copy (must not exist)")->required();
  backup->callback([&selected, f = backup_flags] {
    selected = [f] { return RunBackup(f->database, f->path); };
  });

  auto [exporter, export_flags] = add(
      "export", "Write every entity and link as NDJSON (docs/EXPORT-FORMAT.md), from one snapshot");
  exporter->add_option("-o,--output", export_flags->path, "Output file (default: standard output)");
  exporter->callback([&selected, f = export_flags] {
    selected = [f] { return RunExport(f->database, f->path); };
  });

  auto [importer, import_flags] =
      add("import", "Load an export into an empty database (created if missing), all or nothing");
  importer->add_option("FILE", import_flags->path, "Export file, or - for standard input")
      ->required();
  importer->callback([&selected, f = import_flags] {
    selected = [f] { return RunImport(f->database, f->path); };
  });

  auto [migrate, migrate_flags] =
      add("migrate",
          "Apply pending schema migrations (creating the database if missing), print the schema "
          "version");
  migrate->callback(
      [&selected, f = migrate_flags] { selected = [f] { return RunMigrate(f->database); }; });
}

}  // namespace mr::app
