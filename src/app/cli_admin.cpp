// The admin commands: whole-database operations on a registry's storage
// (SQLite or PostgreSQL), safe while a server runs on the same database. The work is done by the
// storage layer (admin_store.h) and the export format (ndjson_transfer.h);
// this file only maps flags and results to output and exit codes.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "model_registry/database_copy.h"
#include "model_registry/ndjson_transfer.h"
#include "model_registry/postgres_repository.h"
#include "model_registry/sqlite_repository.h"

namespace mr::app {
namespace {

// Which database an admin command works on: the SQLite file (--db-file,
// --database-url sqlite:FILE) or, for any other --database-url, PostgreSQL,
// as `serve` selects it.
struct DatabaseFlags {
  SqliteOptions sqlite;
  std::string database_url;
  PostgresOptions postgres;  // conninfo set when the URL selects PostgreSQL

  bool is_postgres() const { return !postgres.conninfo.empty(); }
  // For messages: a PostgreSQL URL may hold a password, so it is never printed.
  std::string name() const { return is_postgres() ? "the PostgreSQL database" : sqlite.path; }
  int latest_schema_version() const {
    return is_postgres() ? LatestPostgresSchemaVersion() : LatestSchemaVersion();
  }
};

void AddDatabaseFlags(CLI::App* cmd, DatabaseFlags& flags) {
  cmd->add_option("--db-file", flags.sqlite.path, "SQLite database file")
      ->envname("MR_DB_FILE")
      ->capture_default_str();
  cmd->add_option("--database-url", flags.database_url,
                  "PostgreSQL connection URI (postgresql://...) or libpq key=value string, or "
                  "sqlite:FILE; replaces --db-file")
      ->envname("MR_DATABASE_URL");
}

void ResolveDatabase(DatabaseFlags& flags) {
  const std::string sqlite_prefix = "sqlite:";
  if (flags.database_url.compare(0, sqlite_prefix.size(), sqlite_prefix) == 0) {
    flags.sqlite.path = flags.database_url.substr(sqlite_prefix.size());
  } else {
    flags.postgres.conninfo = flags.database_url;
  }
}

int StoreError(const Status& status) {
  return Fail(status.code() == StatusCode::kNotFound ? kExitNotFound : kExitFailed,
              status.message());
}

// A --database-url libpq cannot parse is a usage error.
int OpenError(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument) return Fail(kExitUsage, status.message());
  return StoreError(status);
}

Result<std::unique_ptr<AdminStore>> OpenStore(const DatabaseFlags& flags, AdminOpenMode mode) {
  if (flags.is_postgres()) return OpenPostgresAdminStore(flags.postgres, mode);
  return OpenSqliteAdminStore(flags.sqlite, mode);
}

int SchemaMismatch(const DatabaseFlags& flags, AdminStore& store) {
  return Fail(kExitFailed, "database schema version " + std::to_string(store.SchemaVersion()) +
                               " differs from this binary's " +
                               std::to_string(flags.latest_schema_version()) +
                               "; run `model-registry migrate` first");
}

// PostgreSQL has no file to copy: a snapshot is loaded into a new SQLite
// file, which a server can open as it is (docs/CLI.md, "backup").
int BackupPostgres(DatabaseFlags& flags, const std::string& dest) {
  auto store = OpenStore(flags, AdminOpenMode::kReadExisting);
  if (!store.ok()) return OpenError(store.status());
  if ((*store)->SchemaVersion() != flags.latest_schema_version()) {
    return SchemaMismatch(flags, **store);
  }
  TransferCounts counts;
  Status status = CreateSqliteDatabase(
      dest, [&](AdminStore& copy) { return CopyDatabase(**store, copy, &counts); });
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "backed up %s to %s (%lld entities and %lld links)\n", flags.name().c_str(),
               dest.c_str(), static_cast<long long>(counts.entities),
               static_cast<long long>(counts.links));
  return kExitOk;
}

int RunBackup(DatabaseFlags& flags, const std::string& dest) {
  ResolveDatabase(flags);
  if (flags.is_postgres()) return BackupPostgres(flags, dest);
  auto store = OpenSqliteAdminStore(flags.sqlite, AdminOpenMode::kReadExisting);
  if (!store.ok()) return StoreError(store.status());
  Status status = (*store)->Backup(dest);
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "backed up %s to %s (schema version %d)\n", flags.sqlite.path.c_str(),
               dest.c_str(), (*store)->SchemaVersion());
  return kExitOk;
}

int RunExport(DatabaseFlags& flags, const std::string& output) {
  ResolveDatabase(flags);
  auto store = OpenStore(flags, AdminOpenMode::kReadExisting);
  if (!store.ok()) return OpenError(store.status());
  if ((*store)->SchemaVersion() != flags.latest_schema_version()) {
    return SchemaMismatch(flags, **store);
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
  ResolveDatabase(flags);
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    if (!file) return Fail(kExitFailed, "cannot read " + input);
  }
  std::istream& in = file.is_open() ? file : std::cin;
  auto store = OpenStore(flags, AdminOpenMode::kCreateOrMigrate);
  if (!store.ok()) return OpenError(store.status());
  TransferCounts counts;
  Status status = ImportNdjson(**store, in, &counts);
  if (!status.ok()) return StoreError(status);
  std::fprintf(stderr, "imported %lld entities and %lld links into %s\n",
               static_cast<long long>(counts.entities), static_cast<long long>(counts.links),
               flags.name().c_str());
  return kExitOk;
}

int RunMigrate(DatabaseFlags& flags) {
  ResolveDatabase(flags);
  auto report = flags.is_postgres() ? MigratePostgresDatabase(flags.postgres)
                                    : MigrateSqliteDatabase(flags.sqlite);
  if (!report.ok()) return OpenError(report.status());
  std::printf("schema version %d\n", report->to_version);
  if (report->from_version != report->to_version) {
    std::fprintf(stderr, "migrated %s from schema version %d to %d\n", flags.name().c_str(),
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
