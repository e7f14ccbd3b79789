// SQL emitter tests: a query, a small fake resolver, and the exact SQL text
// and parameters written by hand.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "model_registry/filter.h"
#include "sqlite/filter_dialect.h"

namespace mr::filter {
namespace {

// A pretend entity: columns name/id/state/score/flag, well-known properties
// owner and registeredModelId, a forbidden name, and custom properties.
Result<PropertyRef> FakeResolver(const std::string& name, std::optional<ValueSuffix> suffix) {
  PropertyRef ref;
  auto column = [&](const char* sql, ValueType type) {
    ref.where = PropertyRef::Where::kColumn;
    ref.column = sql;
    ref.type = type;
    return ref;
  };
  if (name == "secret") return Status::InvalidArgument("cannot filter on secret");
  if (name == "name") return column("e.name", ValueType::kString);
  if (name == "id") return column("e.id", ValueType::kInt);
  if (name == "score") return column("e.score", ValueType::kDouble);
  if (name == "flag") return column("e.flag", ValueType::kBool);
  if (name == "state") {
    ref.enum_code = [](std::string_view text) -> int64_t {
      if (text == "UNKNOWN") return 0;
      if (text == "PENDING") return 1;
      if (text == "LIVE") return 2;
      return -1;
    };
    return column("e.state", ValueType::kInt);
  }
  ref.where = PropertyRef::Where::kProperty;
  if (name == "owner") {
    ref.property_name = "owner";
    ref.is_custom = false;
    ref.type = ValueType::kString;
    return ref;
  }
  if (name == "registeredModelId") {
    ref.property_name = "registered_model_id";
    ref.is_custom = false;
    ref.type = ValueType::kInt;
    return ref;
  }
  ref.property_name = name;
  ref.is_custom = true;
  if (!suffix) {
    ref.infer_type = true;
    return ref;
  }
  switch (*suffix) {
    case ValueSuffix::kString:
      ref.type = ValueType::kString;
      break;
    case ValueSuffix::kInt:
      ref.type = ValueType::kInt;
      break;
    case ValueSuffix::kDouble:
      ref.type = ValueType::kDouble;
      break;
    case ValueSuffix::kBool:
      ref.type = ValueType::kBool;
      break;
  }
  return ref;
}

// Parameters as "i:5", "d:0.5", "s:text", comma-separated, for readable diffs.
std::string ParamsText(const std::vector<SqlParam>& params) {
  std::ostringstream out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out << ", ";
    if (auto* integer = std::get_if<int64_t>(&params[i])) {
      out << "i:" << *integer;
    } else if (auto* real = std::get_if<double>(&params[i])) {
      out << "d:" << *real;
    } else {
      out << "s:" << std::get<std::string>(params[i]);
    }
  }
  return out.str();
}

Result<SqlFragment> Emit(std::string_view query) {
  auto parsed = Parse(query);
  if (!parsed.ok()) return parsed.status();
  if (!parsed.value()) return Status::Internal("empty query in test");
  return EmitSql(*parsed.value(), FakeResolver, mr::sqlite::FilterDialect(), "e.id",
                 "context_property");
}

// The EXISTS prefix for a property lookup against context_property.
const std::string kExists =
    "EXISTS (SELECT 1 FROM context_property p WHERE p.owner_id = e.id AND p.name = ? AND "
    "p.is_custom = ? AND ";

struct SqlCase {
  std::string query;
  std::string sql;
  std::string params;
};

TEST_CASE("EmitSql produces exact SQL and parameters", "[filter][sql]") {
  const std::vector<SqlCase> cases = {
      // Columns: one placeholder each, bound by the column's type.
      {"name = \"m\"", "(e.name = ?)", "s:m"},
      {"name != 'm'", "(e.name != ?)", "s:m"},
      {"name <> 'm'", "(e.name != ?)", "s:m"},
      {"id < 5", "(e.id < ?)", "i:5"},
      {"id <= 5", "(e.id <= ?)", "i:5"},
      {"id > -5", "(e.id > ?)", "i:-5"},
      {"id >= 1.5", "(e.id >= ?)", "d:1.5"},
      {"id = '5'", "(e.id = ?)", "s:5"},
      {"name = 5", "(e.name = ?)", "s:5"},
      {"name = 2.5", "(e.name = ?)", "s:2.5"},
      {"name = true", "(e.name = ?)", "s:true"},
      {"score > 3", "(e.score > ?)", "i:3"},
      {"score > 0.25", "(e.score > ?)", "d:0.25"},
      {"flag = TRUE", "(e.flag = ?)", "i:1"},
      {"flag != false", "(e.flag != ?)", "i:0"},
      // Enum columns map strings to codes; unknown strings become -1.
      {"state = 'LIVE'", "(e.state = ?)", "i:2"},
      {"state = 'BOGUS'", "(e.state = ?)", "i:-1"},
      {"state IN ('PENDING', 'LIVE', 'nope')", "(e.state IN (?, ?, ?))", "i:1, i:2, i:-1"},
      {"state = 2", "(e.state = ?)", "i:2"},
      // LIKE is a case-sensitive GLOB; GLOB metacharacters become literal.
      {"name LIKE 'a%b_c'", "(e.name GLOB ?)", "s:a*b?c"},
      {"name LIKE 'x*y?z[w]'", "(e.name GLOB ?)", "s:x[*]y[?]z[[]w]"},
      {"name LIKE '%'", "(e.name GLOB ?)", "s:*"},
      // Backslash (written \\ inside the filter string) escapes % and _.
      {"name LIKE '100\\\\%'", "(e.name GLOB ?)", "s:100%"},
      {"name LIKE 'a\\\\_b%'", "(e.name GLOB ?)", "s:a_b*"},
      {"name LIKE 'a\\\\*'", "(e.name GLOB ?)", "s:a[*]"},
      {"name LIKE 'end\\\\'", "(e.name GLOB ?)", "s:end\\"},
      // ILIKE is SQLite's LIKE with a backslash escape.
      {"name ILIKE 'My_%'", "(e.name LIKE ? ESCAPE '\\')", "s:My_%"},
      {"name ilike 'a\\\\%'", "(e.name LIKE ? ESCAPE '\\')", "s:a\\%"},
      {"name ILIKE 'end\\\\'", "(e.name LIKE ? ESCAPE '\\')", "s:end\\\\"},
      // IN.
      {"id IN (1, 2, 3)", "(e.id IN (?, ?, ?))", "i:1, i:2, i:3"},
      {"id IN (7)", "(e.id IN (?))", "i:7"},
      {"id IN 4", "(e.id = ?)", "i:4"},
      {"id IN ()", "0", ""},
      {"name IN ('a', 3)", "(e.name IN (?, ?))", "s:a, s:3"},
      // Well-known properties use their declared type.
      {"owner = 'bob'", kExists + "p.string_value = ?)", "s:owner, i:0, s:bob"},
      {"registeredModelId = 3", kExists + "p.int_value = ?)", "s:registered_model_id, i:0, i:3"},
      {"owner IN ()", "0", ""},
      // Custom properties infer the value column from the literal.
      {"framework = 'pytorch'", kExists + "p.string_value = ?)", "s:framework, i:1, s:pytorch"},
      {"accuracy > 0.9", kExists + "p.double_value > ?)", "s:accuracy, i:1, d:0.9"},
      {"epochs = 10", kExists + "(p.int_value = ? OR p.double_value = ?))",
       "s:epochs, i:1, i:10, i:10"},
      {"epochs <> 10", kExists + "(p.int_value != ? OR p.double_value != ?))",
       "s:epochs, i:1, i:10, i:10"},
      {"epochs IN (1, 2)", kExists + "(p.int_value IN (?, ?) OR p.double_value IN (?, ?)))",
       "s:epochs, i:1, i:1, i:2, i:1, i:2"},
      {"done = false", kExists + "p.bool_value = ?)", "s:done, i:1, i:0"},
      {"tag IN ('a', 5, true)", kExists + "p.string_value IN (?, ?, ?))",
       "s:tag, i:1, s:a, s:5, s:true"},
      {"tag LIKE 'v1.*%'", kExists + "p.string_value GLOB ?)", "s:tag, i:1, s:v1.[*]*"},
      {"tag ILIKE 'V1%'", kExists + "p.string_value LIKE ? ESCAPE '\\')", "s:tag, i:1, s:V1%"},
      {"`mlflow.source.type` = 'notebook'", kExists + "p.string_value = ?)",
       "s:mlflow.source.type, i:1, s:notebook"},
      // An explicit suffix picks the column; literals are bound for it.
      {"framework.string_value = 'pt'", kExists + "p.string_value = ?)", "s:framework, i:1, s:pt"},
      {"n.string_value = 7", kExists + "p.string_value = ?)", "s:n, i:1, s:7"},
      {"n.int_value = 7", kExists + "p.int_value = ?)", "s:n, i:1, i:7"},
      {"n.int_value = '7'", kExists + "p.int_value = ?)", "s:n, i:1, s:7"},
      {"n.double_value >= 7", kExists + "p.double_value >= ?)", "s:n, i:1, i:7"},
      {"n.bool_value = true", kExists + "p.bool_value = ?)", "s:n, i:1, i:1"},
      // Connectives: fully parenthesised, parameters in placeholder order.
      {"name = 'm' AND owner = 'bob'", "((e.name = ?) AND " + kExists + "p.string_value = ?))",
       "s:m, s:owner, i:0, s:bob"},
      {"id = 1 OR id = 2 AND name = 'x'", "((e.id = ?) OR ((e.id = ?) AND (e.name = ?)))",
       "i:1, i:2, s:x"},
      {"(id = 1 OR id = 2) AND name = 'x'", "(((e.id = ?) OR (e.id = ?)) AND (e.name = ?))",
       "i:1, i:2, s:x"},
      {"id = 1 OR id = 2 OR id IN ()", "((e.id = ?) OR (e.id = ?) OR 0)", "i:1, i:2"},
      // A chain of one connective is flat; parentheses only where it changes.
      {"id = 1 AND id = 2 OR id = 3 OR id = 4 AND id = 5",
       "(((e.id = ?) AND (e.id = ?)) OR (e.id = ?) OR ((e.id = ?) AND (e.id = ?)))",
       "i:1, i:2, i:3, i:4, i:5"},
  };
  for (const SqlCase& c : cases) {
    INFO("query: " << c.query);
    auto result = Emit(c.query);
    REQUIRE(result.ok());
    CHECK(result.value().text == c.sql);
    CHECK(ParamsText(result.value().params) == c.params);
  }
}

TEST_CASE("EmitSql uses the given owner column and property table", "[filter][sql]") {
  auto parsed = Parse("x = 'y'");
  REQUIRE(parsed.ok());
  auto result = EmitSql(*parsed.value(), FakeResolver, mr::sqlite::FilterDialect(), "a.id",
                        "artifact_property");
  REQUIRE(result.ok());
  CHECK(result.value().text ==
        "EXISTS (SELECT 1 FROM artifact_property p WHERE p.owner_id = a.id AND p.name = ? AND "
        "p.is_custom = ? AND p.string_value = ?)");
}

TEST_CASE("EmitSql passes the resolver's error through unchanged", "[filter][sql]") {
  auto result = Emit("name = 'x' AND secret = 1");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  CHECK(result.status().message() == "cannot filter on secret");

  auto in_empty_list = Emit("secret IN ()");
  REQUIRE_FALSE(in_empty_list.ok());
  CHECK(in_empty_list.status().message() == "cannot filter on secret");
}

TEST_CASE("EmitSql rejects LIKE on non-string values", "[filter][sql]") {
  const std::vector<std::string> queries = {
      "id LIKE '1%'",      // integer column
      "state LIKE 'LI%'",  // enum column stored as integers
      "flag ILIKE 'x'",    // bool column
      "name LIKE 5",       // non-string pattern
      "name ILIKE true",   // non-string pattern
      "n.int_value LIKE 'x'", "tag LIKE 1.5",
  };
  for (const std::string& query : queries) {
    INFO("query: " << query);
    auto result = Emit(query);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(result.status().message(),
               Catch::StartsWith("invalid filter query: LIKE and ILIKE"));
  }
}

TEST_CASE("EmitSql emits the longest allowed OR chain flat", "[filter][sql]") {
  std::string query = "id=0";
  for (int i = 1; i < kMaxComparisons; ++i) query += " OR id=1";
  auto result = Emit(query);
  REQUIRE(result.ok());
  CHECK(result.value().params.size() == static_cast<size_t>(kMaxComparisons));
  // One opening parenthesis for the whole chain: SQLite's parser stack holds
  // about 100 levels.
  CHECK(result.value().text.rfind("((e.id = ?) OR (e.id = ?) OR (e.id = ?)", 0) == 0);
  CHECK_THAT(result.value().text, Catch::EndsWith(" OR (e.id = ?))"));
}

}  // namespace
}  // namespace mr::filter

namespace mr::filter {
namespace {

// The owner lookup of `query`'s first qualifying conjunct, as "SQL | params",
// or "none".
std::string Lookup(std::string_view query) {
  auto parsed = Parse(query);
  REQUIRE(parsed.ok());
  REQUIRE(parsed.value());
  Result<std::optional<SqlFragment>> lookup =
      EmitOwnerLookup(*parsed.value(), FakeResolver, "context_property");
  REQUIRE(lookup.ok());
  if (!lookup.value()) return "none";
  return lookup.value()->text + " | " + ParamsText(lookup.value()->params);
}

TEST_CASE("Owner lookups come from string equalities at the top level of an AND", "[filter]") {
  const std::string select =
      "SELECT p.owner_id FROM context_property p WHERE p.name = ? AND p.is_custom = ? AND ";
  CHECK(Lookup("framework = 'x'") == select + "p.string_value = ? | s:framework, i:1, s:x");
  CHECK(Lookup("owner = 'ann'") == select + "p.string_value = ? | s:owner, i:0, s:ann");
  CHECK(Lookup("framework IN ('a', 'b')") ==
        select + "p.string_value IN (?, ?) | s:framework, i:1, s:a, s:b");
  CHECK(Lookup("epochs.string_value = 'x'") == select + "p.string_value = ? | s:epochs, i:1, s:x");
  // The first qualifying conjunct, however the ANDs nest.
  CHECK(Lookup("name = 'v' AND (epochs > 3 AND (a = 'x' AND b = 'y'))") ==
        select + "p.string_value = ? | s:a, i:1, s:x");
  // Nothing every match must satisfy: an OR, a range, a pattern, another type.
  CHECK(Lookup("a = 'x' OR b = 'y'") == "none");
  CHECK(Lookup("a != 'x'") == "none");
  CHECK(Lookup("a LIKE 'x%'") == "none");
  CHECK(Lookup("epochs = 5") == "none");
  CHECK(Lookup("registeredModelId = 5") == "none");
  CHECK(Lookup("name = 'v'") == "none");
  CHECK(Lookup("a IN ()") == "none");
}

TEST_CASE("An owner lookup reports the resolver's errors", "[filter]") {
  auto parsed = Parse("secret = 'x'");
  REQUIRE(parsed.ok());
  CHECK(EmitOwnerLookup(*parsed.value(), FakeResolver, "context_property").status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mr::filter
