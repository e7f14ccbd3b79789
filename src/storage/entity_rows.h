// What both SQL backends share about the stored shape of an entity: the
// entity tables' columns (e.id, e.name, ...), property rows, and how filter
// property names resolve onto them. Dialect-free: the backends render SQL.
#pragma once

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
  // Appended to the parenthesised filter condition.
  const char* filter_suffix = "";
};

// The SELECT of one list page (limit + 1 rows, to tell whether more follow),
// with '?' placeholders and its parameters. Errors: the filter's.
Result<filter::SqlFragment> ListSql(const ListQuery& query, const ListDialect& dialect);

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
