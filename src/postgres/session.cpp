// The shared libpq session (session.h).
#include "postgres/session.h"

#include <chrono>

#include "postgres/schema.h"

namespace mr::postgres {
namespace {

// What pg_stat_activity shows for this server's connections (docs/DEPLOYMENT.md).
constexpr char kApplicationName[] = "model-registry";

}  // namespace

std::string OneLine(const char* message) {
  std::string out;
  bool space = false;
  for (const char* p = message; p != nullptr && *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t' || *p == ' ' || *p == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

bool IsRetryable(const PgError& e) { return e.sqlstate == "40001" || e.sqlstate == "40P01"; }

Status Translate(const PgError& e, const Entity* entity) {
  if (e.sqlstate == "23505") {
    if (entity != nullptr) {
      return Status::AlreadyExists(std::string(SpecFor(entity->kind).display_name) + " with name " +
                                   entity->name + " already exists");
    }
    return Status::AlreadyExists(e.what());
  }
  if (e.sqlstate == "22P02" || e.sqlstate == "22003") {
    return Status::InvalidArgument(std::string("invalid filter query: ") + e.what());
  }
  if (e.sqlstate == "22021") {  // a value that is not valid UTF-8
    return Status::InvalidArgument(std::string("invalid text: ") + e.what());
  }
  if (e.sqlstate == "57014") {
    return Status::Unavailable(
        "query exceeded the query timeout; narrow the filterQuery or ask "
        "for a smaller pageSize");
  }
  if (e.sqlstate.empty() || IsRetryable(e) || e.sqlstate.rfind("08", 0) == 0 ||
      e.sqlstate.rfind("53", 0) == 0 || e.sqlstate.rfind("57P", 0) == 0) {
    return Status::Unavailable(std::string("database unavailable: ") + e.what());
  }
  return Status::Internal(std::string("database error: ") + e.what());
}

std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

Param ParamOf(const filter::SqlParam& param) {
  if (const auto* i = std::get_if<int64_t>(&param)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&param)) return DoubleText(*d);
  return std::get<std::string>(param);
}

Params ParamsOf(const std::vector<filter::SqlParam>& params) {
  Params text;
  text.reserve(params.size());
  for (const auto& p : params) text.push_back(ParamOf(p));
  return text;
}

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status CheckConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    Status status = Status::InvalidArgument("invalid database URL: " +
                                            OneLine(error != nullptr ? error : "out of memory"));
    PQfreemem(error);
    return status;
  }
  PQconninfoFree(parsed);
  return Status::Ok();
}

Result<std::unique_ptr<PgConnection>> Connect(const PostgresOptions& options) {
  // connect_timeout comes before dbname: a value in the URL overrides it.
  // The fallback application_name (unless the URL sets one) names this
  // server's sessions in pg_stat_activity.
  const std::string timeout = std::to_string(options.connect_timeout_seconds);
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), kApplicationName, options.conninfo.c_str(), nullptr};
  PGconn* raw = nullptr;
  {
    ScopedBlocking connecting;
    raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  }
  auto conn = std::make_unique<PgConnection>(raw);
  if (raw == nullptr || !conn->healthy()) {
    return Status::Unavailable("cannot connect to the database: " +
                               OneLine(raw == nullptr ? "out of memory" : PQerrorMessage(raw)));
  }
  try {
    conn->ExecScript(
        ("SET statement_timeout = " + std::to_string(options.query_timeout_ms)).c_str());
  } catch (const PgError& e) {
    return Translate(e);
  }
  return conn;
}

Result<MigrationReport> Migrate(PgConnection& conn) {
  MigrationReport report;
  Status status;
  // The session's statement_timeout (--query-timeout) bounds requests, not
  // migrations: building an index over a large table, or waiting for the
  // replica that holds the migration lock, takes longer. It is off until the
  // end and then set back.
  std::string query_timeout;
  try {
    ResultPtr r = conn.Exec(
        "SELECT current_setting('statement_timeout'), set_config('statement_timeout', '0', "
        "false)");
    query_timeout = PQgetvalue(r.get(), 0, 0);
    conn.Exec("SELECT pg_advisory_lock(?::bigint)", {std::to_string(kMigrationLockKey)});
  } catch (const PgError& e) {
    return Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
  }
  try {
    conn.ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, dirty INTEGER NOT NULL DEFAULT 0, applied_at BIGINT NOT NULL)");
    ResultPtr r = conn.Exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
    int current = static_cast<int>(Int64At(r.get(), 0, 0));
    report.from_version = current;
    report.to_version = current;
    if (current > LatestPostgresSchemaVersion()) {
      status = Status::Unavailable("database schema version " + std::to_string(current) +
                                   " is newer than this binary supports (" +
                                   std::to_string(LatestPostgresSchemaVersion()) + ")");
    }
    for (const Migration& m : Migrations()) {
      if (!status.ok() || m.version <= current) continue;
      conn.ExecScript("BEGIN");
      try {
        conn.ExecScript(m.sql);
        conn.Exec(
            "INSERT INTO schema_migrations (version, name, dirty, applied_at) "
            "VALUES (?, ?, 0, ?)",
            {std::to_string(m.version), std::string(m.name), std::to_string(SystemClockMs())});
        conn.ExecScript("COMMIT");
        report.to_version = m.version;
      } catch (const PgError&) {
        conn.ExecScript("ROLLBACK");
        throw;
      }
    }
  } catch (const PgError& e) {
    status = Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
  }
  try {
    conn.Exec("SELECT pg_advisory_unlock(?::bigint)", {std::to_string(kMigrationLockKey)});
    conn.Exec("SELECT set_config('statement_timeout', ?, false)", {query_timeout});
  } catch (const PgError& e) {
    if (status.ok())
      status = Status::Unavailable("cannot migrate the database: " + std::string(e.what()));
  }
  if (!status.ok()) return status;
  return report;
}

}  // namespace mr::postgres
