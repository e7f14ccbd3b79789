// File: model_registry/filter.h
//
// The `filterQuery` language of the Kubeflow Model Registry REST API, in three
// pure stages:
//
//   1. Parse(text)          -> Expr (an AST; ToString prints it canonically)
//   2. a PropertyResolver   -> maps each property name to a column or to a
//                              property-table lookup (supplied by the caller,
//                              who knows the entity's fields)
//   3. EmitSql(expr, ...)   -> SQL text plus bound parameters, in the shape
//                              every backend shares; the few dialect-specific
//                              pieces come from the backend's SqlDialect
//
//   MR_ASSIGN_OR_RETURN(auto expr, filter::Parse("accuracy > 0.9 AND state = 'LIVE'"));
//   MR_ASSIGN_OR_RETURN(auto sql, filter::EmitSql(*expr, resolver, dialect, "e.id",
//                                                 "context_property"));
//   // sql.text: "(EXISTS (SELECT 1 FROM context_property p WHERE ...) AND ...)"
//   // sql.params: the literal values and property names, in placeholder order
//
// Identifiers in the SQL come only from PropertyRef::column (caller-owned,
// never user text) and the table name passed to EmitSql; every user-supplied
// value and property name becomes a bound parameter.
//
// Thread-safety: all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model_registry/status.h"

namespace mr::filter {

// A literal in the query. `text` keeps the unquoted string value for kString.
struct Literal {
  enum class Kind { kString, kInt, kFloat, kBool };
  Kind kind = Kind::kString;
  std::string string_value;  // kString
  int64_t int_value = 0;     // kInt
  double float_value = 0;    // kFloat
  bool bool_value = false;   // kBool
};

// The trailing `.string_value` / `.int_value` / `.double_value` / `.bool_value`
// segment of a dotted property path.
enum class ValueSuffix { kString, kInt, kDouble, kBool };

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike, kIn };

struct Comparison {
  std::string property;               // dotted path joined with '.', suffix removed
  std::optional<ValueSuffix> suffix;  // explicit type suffix, if any
  CompareOp op = CompareOp::kEq;
  std::vector<Literal> values;  // one value, or the IN list (may be empty)
  bool is_list = false;         // the value was written as "( ... )"
};

struct Expr {
  enum class Kind { kAnd, kOr, kCompare };
  Kind kind = Kind::kCompare;
  std::unique_ptr<Expr> left, right;  // kAnd, kOr
  Comparison comparison;              // kCompare
};

// Parses `query`. Returns a null pointer for an empty or whitespace-only query.
// Errors: kInvalidArgument whose message starts with
//   "invalid filter query syntax: error parsing filter query: "
// and says at which byte offset and token parsing failed. Keywords (AND, OR,
// LIKE, ILIKE, IN, TRUE, FALSE) are accepted in any case. Inputs longer than
// kMaxQueryLength bytes, nested deeper than kMaxDepth or with more than
// kMaxComparisons comparisons are rejected with kInvalidArgument, so no input
// can exhaust the stack or SQLite's limits.
Result<std::unique_ptr<Expr>> Parse(std::string_view query);

inline constexpr size_t kMaxQueryLength = 64 * 1024;
inline constexpr int kMaxDepth = 64;
// Comparisons per query. Keeps the emitted SQL expression far below SQLite's
// expression-depth limit (1000), so no filter reaches the database as a 500.
inline constexpr int kMaxComparisons = 256;

// Prints `expr` canonically, for tests and logs: comparisons as
// `name[.suffix] OP value`, strings double-quoted with `\"` and `\\` escaped,
// AND/OR fully parenthesised: `((a = 1) AND (b = "x"))`.
std::string ToString(const Expr& expr);

// The value column a property lookup compares against.
enum class ValueType { kString, kInt, kDouble, kBool };

// Where a filter property lives, as decided by the caller's resolver.
struct PropertyRef {
  enum class Where { kColumn, kProperty };
  Where where = Where::kColumn;
  // kColumn: a trusted SQL expression such as "e.name" (never user text).
  std::string column;
  // The type of the column or property value. Ignored when infer_type is set.
  ValueType type = ValueType::kString;
  // kProperty: the property row's name (bound as a parameter) and whether it
  // is a custom property (is_custom column).
  std::string property_name;
  bool is_custom = true;
  // kProperty without an explicit suffix: choose the value column from the
  // literal (string -> string_value; int -> int_value OR double_value;
  // float -> double_value; bool -> bool_value).
  bool infer_type = false;
  // Optional mapping of string literals to integer codes for enum columns
  // stored as integers (artifact state). Unknown strings map to -1.
  std::function<int64_t(std::string_view)> enum_code;
};

// Resolves a property name and optional suffix for one entity kind.
// Returns kInvalidArgument for names that cannot be filtered on.
using PropertyResolver =
    std::function<Result<PropertyRef>(const std::string& name, std::optional<ValueSuffix> suffix)>;

// A bound SQL parameter.
using SqlParam = std::variant<int64_t, double, std::string>;

struct SqlFragment {
  std::string text;              // a boolean SQL expression with '?' placeholders
  std::vector<SqlParam> params;  // in placeholder order
};

// What differs between SQL dialects in a filter's SQL. Each storage backend
// (src/sqlite, src/postgres) supplies one; this module knows none of them.
struct SqlDialect {
  // Appends to `out` a boolean expression that matches `expression` against
  // the SQL LIKE `pattern` (% and _ wildcards, backslash escape), case-
  // sensitively unless `case_insensitive`, binding the pattern with '?'.
  std::function<void(std::string_view expression, std::string_view pattern, bool case_insensitive,
                     SqlFragment& out)>
      match_pattern;
  // A boolean expression that is never true: what `IN ()` becomes.
  std::string never_true;
  // Appended inside each EXISTS subquery (after its WHERE condition).
  std::string exists_suffix;
};

// Returns `pattern` with a trailing lone escape backslash doubled, so that it
// matches a literal backslash (databases reject or never match a pattern
// ending in an escape; the filter language reads it as a literal).
std::string NormalizeLikePattern(std::string_view pattern);

// Emits a boolean SQL expression for `expr`, with '?' placeholders.
//   owner_id_column: the SQL expression of the filtered row's id, e.g. "e.id".
//   property_table:  the table holding property rows with columns
//                    (owner_id, name, is_custom, string_value, int_value,
//                     double_value, bool_value).
// Property comparisons become
//   EXISTS (SELECT 1 FROM <table> p WHERE p.owner_id = <owner> AND p.name = ?
//           AND p.is_custom = ? AND p.<value_col> <op> ?)
// so an entity without the property never matches. LIKE (case-sensitive) and
// ILIKE are rendered by dialect.match_pattern. `<>` means not-equal. `IN ()`
// is dialect.never_true.
// Errors: kInvalidArgument from the resolver, or for LIKE/ILIKE on non-string
// values.
Result<SqlFragment> EmitSql(const Expr& expr, const PropertyResolver& resolver,
                            const SqlDialect& dialect, std::string_view owner_id_column,
                            std::string_view property_table);

// Emits the lookup of the owners that satisfy a string-property comparison by
// equality (`=`, or `IN` with values) that is a top-level conjunct of `expr`
// (the first one, when several are), or std::nullopt when it has none:
//   SELECT p.owner_id FROM <table> p WHERE p.name = ? AND p.is_custom = ?
//     AND p.string_value = ?          (or: p.string_value IN (?, ...))
// Every entity that `expr` matches is among those owners, so a list can start
// from them when they are few (storage::ChooseListSql). Errors: the
// resolver's.
Result<std::optional<SqlFragment>> EmitOwnerLookup(const Expr& expr,
                                                   const PropertyResolver& resolver,
                                                   std::string_view property_table);

}  // namespace mr::filter
