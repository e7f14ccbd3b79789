// mr_seed: bulk-loads a benchmark data set into a model-registry database.
//
//   model-registry serve --db-file bench.db &   # once, so the schema is migrated
//   kill %1
//   mr_seed --db bench.db --versions 1000000
//
// Writes rows directly with SQLite, in the shapes the server writes them
// (src/sqlite/sqlite_repository.cpp): parent references live in parent_id, not
// in property rows; `state`, `owner`, `author`, `uri`, ... are built-in
// (is_custom = 0) string rows; custom properties are is_custom = 1 rows with
// value_type 0 string, 1 int, 2 double, 3 bool. Timestamps strictly increase in
// insertion order and lie in the past, so the server's next timestamp stays
// above every seeded one.
//
// Data set (deterministic; bench/bench.py relies on these names):
//   registered models: "bench-model-1" .. "bench-model-M", M = max(2, N / 100);
//     built-in owner "bench", state LIVE; custom "team" (string).
//   model versions: N. Every 10th version belongs to bench-model-1 (the "big"
//     model, 10% of all versions); the others go round-robin to the remaining
//     models. A model's versions are named v0, v1, ... in creation order.
//     Built-in state LIVE and author; custom properties, from the index j
//     within the model: framework (string, pytorch/tensorflow/sklearn/onnx by
//     j % 4, so a quarter of each model's versions are "pytorch"), epochs
//     (int, 7j % 100), accuracy (double), validated (bool, j % 3 == 0).
//   model artifacts (unless --no-artifacts): one per version, named after its
//     model, attached to the version (attribution) with uri, format and state
//     UNKNOWN, as the Python client's register_model creates them.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kTypeRegisteredModel = 1;
constexpr int kTypeModelVersion = 2;
constexpr int kTypeModelArtifact = 11;
constexpr int kValueString = 0;
constexpr int kValueInt = 1;
constexpr int kValueDouble = 2;
constexpr int kValueBool = 3;
constexpr int64_t kRowsPerTransaction = 50000;

const char* const kFrameworks[] = {"pytorch", "tensorflow", "sklearn", "onnx"};
const char* const kTeams[] = {"risk", "search", "ads", "vision", "speech", "infra", "ml", "ops"};

[[noreturn]] void Die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "mr_seed: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  std::exit(1);
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) Die(db, sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Int(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& Double(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
  }
  Statement& Text(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  void Run() {
    if (sqlite3_step(stmt_) != SQLITE_DONE) Die(db_, "insert");
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "mr_seed: %s: %s\n", sql, error ? error : "");
    std::exit(1);
  }
}

int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) Die(db, sql);
  int64_t value = -1;
  if (sqlite3_step(raw) == SQLITE_ROW) value = sqlite3_column_int64(raw, 0);
  sqlite3_finalize(raw);
  return value;
}

struct Options {
  std::string db_path;
  int64_t versions = 1000;
  int64_t models = 0;  // 0: derived from versions
  bool artifacts = true;
};

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mr_seed: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--db") {
      options.db_path = value();
    } else if (arg == "--versions") {
      options.versions = std::atoll(value().c_str());
    } else if (arg == "--models") {
      options.models = std::atoll(value().c_str());
    } else if (arg == "--no-artifacts") {
      options.artifacts = false;
    } else {
      std::fprintf(stderr,
                   "usage: mr_seed --db FILE [--versions N] [--models M] [--no-artifacts]\n");
      std::exit(2);
    }
  }
  if (options.db_path.empty() || options.versions < 10) {
    std::fprintf(stderr, "mr_seed: --db is required and --versions must be >= 10\n");
    std::exit(2);
  }
  if (options.models == 0) options.models = std::max<int64_t>(2, options.versions / 100);
  return options;
}

class Seeder {
 public:
  Seeder(sqlite3* db, const Options& options, int64_t first_timestamp)
      : db_(db),
        options_(options),
        next_timestamp_(first_timestamp),
        insert_context_(db,
                        "INSERT INTO context (id, type_id, parent_id, name_scope, name, "
                        "create_time, update_time) VALUES (?, ?, ?, '', ?, ?, ?)"),
        insert_context_property_(db,
                                 "INSERT INTO context_property (owner_id, is_custom, name, "
                                 "value_type, string_value, int_value, double_value, bool_value) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        insert_artifact_(db,
                         "INSERT INTO artifact (id, type_id, parent_id, name_scope, name, "
                         "create_time, update_time) VALUES (?, ?, ?, '', ?, ?, ?)"),
        insert_artifact_property_(db,
                                  "INSERT INTO artifact_property (owner_id, is_custom, name, "
                                  "value_type, string_value, int_value, double_value, bool_value) "
                                  "VALUES (?, 0, ?, 0, ?, NULL, NULL, NULL)"),
        insert_attribution_(db, "INSERT INTO attribution (context_id, artifact_id) VALUES (?, ?)") {
  }

  void Run() {
    Exec(db_, "BEGIN");
    for (int64_t m = 1; m <= options_.models; ++m) AddModel(m);
    std::vector<int64_t> versions_of_model(options_.models + 1, 0);
    const int64_t first_version_id = options_.models + 1;
    for (int64_t i = 0; i < options_.versions; ++i) {
      int64_t model = ModelOf(i);
      int64_t index_in_model = versions_of_model[model]++;
      AddVersion(first_version_id + i, model, index_in_model, i);
      if (options_.artifacts) AddArtifact(i + 1, first_version_id + i, model, i);
      if (++rows_in_transaction_ >= kRowsPerTransaction) {
        Exec(db_, "COMMIT");
        Exec(db_, "BEGIN");
        rows_in_transaction_ = 0;
        if ((i + 1) % 200000 == 0) {
          std::fprintf(stderr, "mr_seed: %lld versions\n", static_cast<long long>(i + 1));
        }
      }
    }
    Exec(db_, "COMMIT");
  }

  int64_t last_timestamp() const { return next_timestamp_ - 1; }

 private:
  // Version i's model: every 10th goes to model 1, the rest round-robin.
  int64_t ModelOf(int64_t i) const {
    if (i % 10 == 0) return 1;
    int64_t k = i - i / 10 - 1;  // index among the versions not in model 1
    return 2 + k % (options_.models - 1);
  }

  void AddModel(int64_t id) {
    int64_t ts = next_timestamp_++;
    insert_context_.Int(1, id).Int(2, kTypeRegisteredModel).Int(3, 0);
    insert_context_.Text(4, "bench-model-" + std::to_string(id)).Int(5, ts).Int(6, ts).Run();
    StringProperty(id, false, "owner", "bench");
    StringProperty(id, false, "state", "LIVE");
    StringProperty(id, true, "team", kTeams[id % 8]);
  }

  void AddVersion(int64_t id, int64_t model, int64_t index_in_model, int64_t i) {
    int64_t ts = next_timestamp_++;
    insert_context_.Int(1, id).Int(2, kTypeModelVersion).Int(3, model);
    insert_context_.Text(4, "v" + std::to_string(index_in_model)).Int(5, ts).Int(6, ts).Run();
    StringProperty(id, false, "author", "author-" + std::to_string(i % 50));
    StringProperty(id, false, "state", "LIVE");
    // Values vary with the index within the model, so every model (the big
    // one included) has a spread of each.
    const int64_t j = index_in_model;
    StringProperty(id, true, "framework", kFrameworks[j % 4]);
    insert_context_property_.Int(1, id).Int(2, 1).Text(3, "epochs").Int(4, kValueInt);
    insert_context_property_.Null(5).Int(6, (j * 7) % 100).Null(7).Null(8).Run();
    insert_context_property_.Int(1, id).Int(2, 1).Text(3, "accuracy").Int(4, kValueDouble);
    insert_context_property_.Null(5).Null(6).Double(7, 0.5 + (i % 500) / 1000.0).Null(8).Run();
    insert_context_property_.Int(1, id).Int(2, 1).Text(3, "validated").Int(4, kValueBool);
    insert_context_property_.Null(5).Null(6).Null(7).Int(8, j % 3 == 0 ? 1 : 0).Run();
  }

  void AddArtifact(int64_t id, int64_t version_id, int64_t model, int64_t i) {
    int64_t ts = next_timestamp_++;
    insert_artifact_.Int(1, id).Int(2, kTypeModelArtifact).Int(3, version_id);
    insert_artifact_.Text(4, "bench-model-" + std::to_string(model)).Int(5, ts).Int(6, ts).Run();
    ArtifactProperty(id, "model_format_name", "onnx");
    ArtifactProperty(id, "model_format_version", "1");
    ArtifactProperty(id, "state", "UNKNOWN");
    ArtifactProperty(id, "uri", "s3://bench/models/" + std::to_string(i));
    insert_attribution_.Int(1, version_id).Int(2, id).Run();
  }

  void StringProperty(int64_t owner, bool custom, const char* name, const std::string& value) {
    insert_context_property_.Int(1, owner).Int(2, custom ? 1 : 0).Text(3, name);
    insert_context_property_.Int(4, kValueString).Text(5, value).Null(6).Null(7).Null(8).Run();
  }

  void ArtifactProperty(int64_t owner, const char* name, const std::string& value) {
    insert_artifact_property_.Int(1, owner).Text(2, name).Text(3, value).Run();
  }

  sqlite3* db_;
  const Options& options_;
  int64_t next_timestamp_;
  int64_t rows_in_transaction_ = 0;
  Statement insert_context_;
  Statement insert_context_property_;
  Statement insert_artifact_;
  Statement insert_artifact_property_;
  Statement insert_attribution_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options.db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    Die(db, "open (start the server once on the file to create and migrate it)");
  }
  if (QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") != 1 ||
      QueryInt(db, "SELECT count(*) FROM context") != 0) {
    std::fprintf(stderr, "mr_seed: %s must be a freshly migrated, empty database\n",
                 options.db_path.c_str());
    return 1;
  }
  // A bulk load: durability of the half-built file does not matter.
  Exec(db, "PRAGMA synchronous = OFF");
  Exec(db, "PRAGMA cache_size = -524288");  // 512 MiB
  Exec(db, "PRAGMA temp_store = MEMORY");

  const int64_t entities = options.models + options.versions * (options.artifacts ? 2 : 1);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto started = std::chrono::steady_clock::now();
  Seeder seeder(db, options, now_ms - entities - 60000);
  seeder.Run();
  Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("seeded %lld models, %lld versions, %lld artifacts in %.1f s\n",
              static_cast<long long>(options.models), static_cast<long long>(options.versions),
              static_cast<long long>(options.artifacts ? options.versions : 0), seconds);
  sqlite3_close(db);
  return 0;
}
