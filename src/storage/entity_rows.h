// What both SQL backends share about the stored shape of an entity: the
// entity tables' columns (e.id, e.name, ...), property rows, and how filter
// property names resolve onto them. Dialect-free: the backends render SQL.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model_registry/entity.h"
#include "model_registry/filter.h"
#include "model_registry/repository.h"

namespace mr::storage {

// The tables of one storage class.
struct Tables {
  const char* entity;
  const char* property;
};
Tables TablesFor(StorageClass storage);

// The entity columns, in the order ReadEntity-style readers expect them.
inline constexpr const char* kEntityColumns =
    "e.id, e.type_id, e.parent_id, e.name_scope, e.name, e.external_id, e.description, "
    "e.create_time, e.update_time";

// What differs between the backends in a list query.
struct ListDialect {
  const filter::SqlDialect* filter = nullptr;
  // The type_id column as compared when several kinds are listed.
  const char* kinds_column = "e.type_id";
  // A function f(haystack, needle) that is > 0 when needle occurs in haystack.
  const char* substring_position = "instr";
  // The placeholder of an integer compared in a row value (keyset cursor).
  const char* int_placeholder = "?";
  // The type_id column as compared in a list driven from a property lookup
  // (ChooseListSql): SQLite needs it kept off the type indexes.
  const char* driven_kinds_column = "e.type_id";
};

// The SELECT of one list page (limit + 1 rows, to tell whether more follow),
// with '?' placeholders and its parameters. Errors: the filter's.
Result<filter::SqlFragment> ListSql(const ListQuery& query, const ListDialect& dialect);

// Drops the extra row ListSql fetched beyond `limit`, if it came, and records
// that more rows follow.
void TrimToPage(ListPage& page, int64_t limit);

// A filtered list walks the kind (or parent) in the requested order and checks
// each row, so a filter value that few rows have reads them all (355 ms at 1M
// versions, docs/BENCHMARKS.md). When the filter has a top-level string
// property comparison by equality (filter::EmitOwnerLookup), this counts that
// comparison's matches, up to kDrivenListMaxMatches, through the property
// value index (schema migration 4) with `count` (which runs a SELECT of one
// integer); below the bound it returns the list restricted to `e.id IN
// (<the lookup>)`, which the database starts from, otherwise ListSql's.
inline constexpr int64_t kDrivenListMaxMatches = 1000;
Result<filter::SqlFragment> ChooseListSql(
    const ListQuery& query, const ListDialect& dialect,
    const std::function<int64_t(const filter::SqlFragment&)>& count);

// Maps filter property names of `kind` onto entity columns (aliased `e`) and
// property rows (entity_spec.h says which fields are properties).
filter::PropertyResolver ResolverFor(EntityKind kind);

// One row of a <class>_property table. Exactly one value is set, chosen by
// `type` (string lists are stored as JSON text).
struct PropertyRow {
  bool is_custom = true;
  std::string name;
  MetadataValue::Type type = MetadataValue::Type::kString;
  std::string string_value;
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
};

// The property rows that store `entity`'s built-in property fields and its
// custom properties.
std::vector<PropertyRow> PropertyRowsOf(const Entity& entity);

// Sets the field or custom property `row` stores on `entity` (of its kind).
void ApplyPropertyRow(const PropertyRow& row, Entity& entity);

// Sets the fields stored in the parent_id column from entity.parent_id.
void FillParentFields(Entity& entity);

}  // namespace mr::storage
