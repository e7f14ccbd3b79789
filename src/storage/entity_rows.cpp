#include "storage/entity_rows.h"

#include <nlohmann/json.hpp>

#include "model_registry/entity_spec.h"

namespace mr::storage {
namespace {

using filter::PropertyRef;
using filter::ValueType;

ValueType ValueTypeOf(FieldType type) {
  switch (type) {
    case FieldType::kId:
    case FieldType::kInt32:
      return ValueType::kInt;
    case FieldType::kDouble:
      return ValueType::kDouble;
    default:
      return ValueType::kString;
  }
}

ValueType ValueTypeOf(filter::ValueSuffix suffix) {
  switch (suffix) {
    case filter::ValueSuffix::kInt:
      return ValueType::kInt;
    case filter::ValueSuffix::kDouble:
      return ValueType::kDouble;
    case filter::ValueSuffix::kBool:
      return ValueType::kBool;
    case filter::ValueSuffix::kString:
      break;
  }
  return ValueType::kString;
}

}  // namespace

filter::PropertyResolver ResolverFor(EntityKind kind) {
  return [kind](const std::string& name,
                std::optional<filter::ValueSuffix> suffix) -> Result<PropertyRef> {
    struct ColumnName {
      const char* json;
      const char* column;
      ValueType type;
    };
    static const ColumnName kColumns[] = {
        {"id", "e.id", ValueType::kInt},
        {"name", "e.name", ValueType::kString},
        {"externalId", "e.external_id", ValueType::kString},
        {"description", "e.description", ValueType::kString},
        {"createTimeSinceEpoch", "e.create_time", ValueType::kInt},
        {"lastUpdateTimeSinceEpoch", "e.update_time", ValueType::kInt},
    };
    PropertyRef ref;
    for (const ColumnName& c : kColumns) {
      if (name == c.json) {
        ref.where = PropertyRef::Where::kColumn;
        ref.column = c.column;
        ref.type = c.type;
        return ref;
      }
    }
    if (const FieldSpec* field = SpecFor(kind).Field(name)) {
      if (field->storage == FieldStorage::kParentId) {
        ref.where = PropertyRef::Where::kColumn;
        ref.column = "e.parent_id";
        ref.type = ValueType::kInt;
        return ref;
      }
      ref.where = PropertyRef::Where::kProperty;
      ref.property_name = std::string(field->storage_name);
      ref.is_custom = false;
      ref.type = suffix ? ValueTypeOf(*suffix) : ValueTypeOf(field->type);
      return ref;
    }
    ref.where = PropertyRef::Where::kProperty;
    ref.property_name = name;
    ref.is_custom = true;
    if (suffix) {
      ref.type = ValueTypeOf(*suffix);
    } else {
      ref.infer_type = true;
    }
    return ref;
  };
}

std::vector<PropertyRow> PropertyRowsOf(const Entity& entity) {
  std::vector<PropertyRow> rows;
  const EntitySpec& spec = SpecFor(entity.kind);
  for (const auto& [json_name, value] : entity.fields) {
    const FieldSpec* field = spec.Field(json_name);
    if (field == nullptr || field->storage != FieldStorage::kProperty) continue;
    PropertyRow row;
    row.is_custom = false;
    row.name = std::string(field->storage_name);
    if (const auto* s = std::get_if<std::string>(&value)) {
      row.string_value = *s;
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      row.type = MetadataValue::Type::kInt;
      row.int_value = *i;
    } else if (const auto* d = std::get_if<double>(&value)) {
      row.type = MetadataValue::Type::kDouble;
      row.double_value = *d;
    } else if (const auto* b = std::get_if<bool>(&value)) {
      row.type = MetadataValue::Type::kBool;
      row.bool_value = *b;
    } else if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
      row.string_value = nlohmann::json(*list).dump();
    }
    rows.push_back(std::move(row));
  }
  for (const auto& [name, value] : entity.custom_properties) {
    PropertyRow row;
    row.name = name;
    row.type = value.type;
    row.string_value = value.string_value;
    row.int_value = value.int_value;
    row.double_value = value.double_value;
    row.bool_value = value.bool_value;
    rows.push_back(std::move(row));
  }
  return rows;
}

void ApplyPropertyRow(const PropertyRow& row, Entity& e) {
  if (row.is_custom) {
    MetadataValue v;
    v.type = row.type;
    switch (row.type) {
      case MetadataValue::Type::kInt:
        v.int_value = row.int_value;
        break;
      case MetadataValue::Type::kDouble:
        v.double_value = row.double_value;
        break;
      case MetadataValue::Type::kBool:
        v.bool_value = row.bool_value;
        break;
      default:
        v.string_value = row.string_value;
    }
    e.custom_properties[row.name] = std::move(v);
    return;
  }
  for (const FieldSpec& field : SpecFor(e.kind).fields) {
    if (field.storage_name != row.name || field.storage != FieldStorage::kProperty) continue;
    std::string key(field.json_name);
    switch (field.type) {
      case FieldType::kId:
      case FieldType::kInt32:
        e.fields[key] = row.int_value;
        break;
      case FieldType::kDouble:
        e.fields[key] = row.double_value;
        break;
      case FieldType::kStringList: {
        std::vector<std::string> items;
        nlohmann::json parsed =
            nlohmann::json::parse(row.string_value, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_array()) {
          for (const auto& item : parsed) {
            if (item.is_string()) items.push_back(item.get<std::string>());
          }
        }
        e.fields[key] = std::move(items);
        break;
      }
      default:
        e.fields[key] = row.string_value;
    }
    return;
  }
}

void FillParentFields(Entity& e) {
  for (const FieldSpec& field : SpecFor(e.kind).fields) {
    if (field.storage == FieldStorage::kParentId)
      e.fields[std::string(field.json_name)] = e.parent_id;
  }
}

}  // namespace mr::storage

namespace mr::storage {

Tables TablesFor(StorageClass storage) {
  switch (storage) {
    case StorageClass::kContext:
      return {"context", "context_property"};
    case StorageClass::kArtifact:
      return {"artifact", "artifact_property"};
    case StorageClass::kExecution:
      break;
  }
  return {"execution", "execution_property"};
}

namespace {

// ListSql, restricted to the owners `driver` selects when it is given.
Result<filter::SqlFragment> ListSqlDrivenBy(const ListQuery& q, const ListDialect& dialect,
                                            const filter::SqlFragment* driver) {
  Tables t = TablesFor(StorageOf(q.kinds.front()));
  filter::SqlFragment out;
  std::string& sql = out.text;
  std::vector<filter::SqlParam>& params = out.params;
  sql = std::string("SELECT ") + kEntityColumns + " FROM " + t.entity + " e";
  if (q.linked_context_id) {
    sql += " JOIN attribution a ON a.artifact_id = e.id AND a.context_id = ?";
    params.emplace_back(*q.linked_context_id);
  }
  if (driver != nullptr) {
    sql += " WHERE e.id IN (" + driver->text + ") AND ";
    params.insert(params.end(), driver->params.begin(), driver->params.end());
  } else {
    sql += " WHERE ";
  }
  if (q.kinds.size() == 1) {
    sql += std::string(driver != nullptr ? dialect.driven_kinds_column : "e.type_id") + " = ?";
    params.emplace_back(static_cast<int64_t>(q.kinds.front()));
  } else {
    sql += std::string(driver != nullptr ? dialect.driven_kinds_column : dialect.kinds_column) +
           " IN (";
    for (size_t i = 0; i < q.kinds.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back(static_cast<int64_t>(q.kinds[i]));
    }
    sql += ")";
  }
  if (q.parent_id) {
    sql += " AND e.parent_id = ?";
    params.emplace_back(*q.parent_id);
  }
  if (q.name) {
    sql += " AND e.name = ?";
    params.emplace_back(*q.name);
  }
  if (q.external_id) {
    sql += " AND e.external_id = ?";
    params.emplace_back(*q.external_id);
  }
  if (q.name_contains && !q.name_contains->empty()) {
    sql += std::string(" AND ") + dialect.substring_position + "(e.name, ?) > 0";
    params.emplace_back(*q.name_contains);
  }
  if (q.steps) {
    sql += std::string(" AND EXISTS (SELECT 1 FROM ") + t.property +
           " s WHERE s.owner_id = e.id AND s.is_custom = 0 AND s.name = 'step' AND "
           "s.int_value IN (";
    if (q.steps->empty()) sql += "NULL";  // matches nothing, in every dialect
    for (size_t i = 0; i < q.steps->size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back((*q.steps)[i]);
    }
    sql += ")" + dialect.filter->exists_suffix + ")";
  }
  if (q.filter != nullptr) {
    MR_ASSIGN_OR_RETURN(filter::SqlFragment fragment,
                        filter::EmitSql(*q.filter, ResolverFor(q.filter_kind), *dialect.filter,
                                        "e.id", t.property));
    sql += " AND (" + fragment.text + ")";
    params.insert(params.end(), fragment.params.begin(), fragment.params.end());
  }
  const char* sort_column = q.order == OrderField::kCreateTime       ? "e.create_time"
                            : q.order == OrderField::kLastUpdateTime ? "e.update_time"
                                                                     : nullptr;
  const char* cmp = q.descending ? "<" : ">";
  const char* dir = q.descending ? " DESC" : " ASC";
  if (q.after) {
    if (sort_column == nullptr) {
      sql += std::string(" AND e.id ") + cmp + " ?";
      params.emplace_back(q.after->id);
    } else {
      // Keyset pagination with the id tie-breaker (docs/api-behaviour.md §7): a row value keeps
      // the predicate index-friendly.
      sql += std::string(" AND (") + sort_column + ", e.id) " + cmp + " (" +
             dialect.int_placeholder + ", " + dialect.int_placeholder + ")";
      params.emplace_back(q.after->sort_value);
      params.emplace_back(q.after->id);
    }
  }
  sql += " ORDER BY ";
  if (sort_column != nullptr) sql += std::string(sort_column) + dir + ", ";
  sql += std::string("e.id") + dir;
  if (q.limit > 0) {
    sql += " LIMIT ?";
    params.emplace_back(static_cast<int64_t>(q.limit) + 1);
  }
  return out;
}

}  // namespace

void TrimToPage(ListPage& page, int64_t limit) {
  if (limit > 0 && page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    page.has_more = true;
  }
}

Result<filter::SqlFragment> ListSql(const ListQuery& q, const ListDialect& dialect) {
  return ListSqlDrivenBy(q, dialect, nullptr);
}

Result<filter::SqlFragment> ChooseListSql(
    const ListQuery& q, const ListDialect& dialect,
    const std::function<int64_t(const filter::SqlFragment&)>& count) {
  if (q.filter == nullptr) return ListSql(q, dialect);
  MR_ASSIGN_OR_RETURN(std::optional<filter::SqlFragment> lookup,
                      filter::EmitOwnerLookup(*q.filter, ResolverFor(q.filter_kind),
                                              TablesFor(StorageOf(q.kinds.front())).property));
  if (!lookup) return ListSql(q, dialect);
  filter::SqlFragment counting;
  counting.text = "SELECT count(*) FROM (" + lookup->text + " LIMIT ?) m";
  counting.params = lookup->params;
  counting.params.emplace_back(kDrivenListMaxMatches);
  if (count(counting) >= kDrivenListMaxMatches) return ListSql(q, dialect);
  return ListSqlDrivenBy(q, dialect, &*lookup);
}

}  // namespace mr::storage
