// Numbered schema migrations. A migration, once released, never changes:
// add a new one instead. Each runs in its own transaction together with the
// row that records it in schema_migrations.
#include "sqlite/schema.h"

namespace mr::sqlite {

// § numbers in the migrations' SQL comments refer to docs/api-behaviour.md.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema", R"sql(
-- Three storage classes with their own id sequences, as upstream (§0):
-- context-like (models, versions, environments, services, experiments, runs),
-- artifact-like, and execution-like (serve models).
CREATE TABLE context (
  id          INTEGER PRIMARY KEY,
  type_id     INTEGER NOT NULL,
  parent_id   INTEGER NOT NULL DEFAULT 0,
  name_scope  TEXT    NOT NULL DEFAULT '',
  name        TEXT    NOT NULL,
  external_id TEXT,
  description TEXT,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (type_id, parent_id, name_scope, name)
);
CREATE UNIQUE INDEX context_external_id ON context (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX context_by_type ON context (type_id);
CREATE INDEX context_by_type_create ON context (type_id, create_time);
CREATE INDEX context_by_type_update ON context (type_id, update_time);
CREATE INDEX context_by_parent ON context (type_id, parent_id);
CREATE INDEX context_by_parent_create ON context (type_id, parent_id, create_time);
CREATE INDEX context_by_parent_update ON context (type_id, parent_id, update_time);

CREATE TABLE context_property (
  owner_id     INTEGER NOT NULL REFERENCES context (id),
  is_custom    INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  value_type   INTEGER NOT NULL,
  string_value TEXT,
  int_value    INTEGER,
  double_value REAL,
  bool_value   INTEGER,
  PRIMARY KEY (owner_id, is_custom, name)
) WITHOUT ROWID;

CREATE TABLE artifact (
  id          INTEGER PRIMARY KEY,
  type_id     INTEGER NOT NULL,
  parent_id   INTEGER NOT NULL DEFAULT 0,
  name_scope  TEXT    NOT NULL DEFAULT '',
  name        TEXT    NOT NULL,
  external_id TEXT,
  description TEXT,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (type_id, parent_id, name_scope, name)
);
CREATE UNIQUE INDEX artifact_external_id ON artifact (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX artifact_by_type ON artifact (type_id);
CREATE INDEX artifact_by_type_create ON artifact (type_id, create_time);
CREATE INDEX artifact_by_type_update ON artifact (type_id, update_time);
CREATE INDEX artifact_by_parent ON artifact (type_id, parent_id);

CREATE TABLE artifact_property (
  owner_id     INTEGER NOT NULL REFERENCES artifact (id),
  is_custom    INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  value_type   INTEGER NOT NULL,
  string_value TEXT,
  int_value    INTEGER,
  double_value REAL,
  bool_value   INTEGER,
  PRIMARY KEY (owner_id, is_custom, name)
) WITHOUT ROWID;

-- Which contexts (versions, runs) an artifact is attached to; many-to-many.
CREATE TABLE attribution (
  context_id  INTEGER NOT NULL REFERENCES context (id),
  artifact_id INTEGER NOT NULL REFERENCES artifact (id),
  PRIMARY KEY (context_id, artifact_id)
) WITHOUT ROWID;
CREATE INDEX attribution_by_artifact ON attribution (artifact_id, context_id);

CREATE TABLE execution (
  id          INTEGER PRIMARY KEY,
  type_id     INTEGER NOT NULL,
  parent_id   INTEGER NOT NULL DEFAULT 0,
  name_scope  TEXT    NOT NULL DEFAULT '',
  name        TEXT    NOT NULL,
  external_id TEXT,
  description TEXT,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (type_id, parent_id, name_scope, name)
);
CREATE UNIQUE INDEX execution_external_id ON execution (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX execution_by_type ON execution (type_id);
CREATE INDEX execution_by_type_create ON execution (type_id, create_time);
CREATE INDEX execution_by_type_update ON execution (type_id, update_time);
CREATE INDEX execution_by_parent ON execution (type_id, parent_id);

CREATE TABLE execution_property (
  owner_id     INTEGER NOT NULL REFERENCES execution (id),
  is_custom    INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  value_type   INTEGER NOT NULL,
  string_value TEXT,
  int_value    INTEGER,
  double_value REAL,
  bool_value   INTEGER,
  PRIMARY KEY (owner_id, is_custom, name)
) WITHOUT ROWID;
)sql"},
      {2, "lookup indexes", R"sql(
-- Finds by name: a registered model by name, a version by name under its
-- model, a metric or parameter by name under its run. The UNIQUE index puts
-- name_scope before name, so without these a find walks every row of the kind
-- (or of the parent): 75 ms for a version of a model with 100k versions.
-- Both context indexes are needed: without statistics SQLite prefers an index
-- that yields rows in id order (the lists' ORDER BY) unless every column of
-- another index is matched by an equality.
CREATE INDEX context_by_name ON context (type_id, name);
CREATE INDEX context_by_parent_name ON context (type_id, parent_id, name);
CREATE INDEX artifact_by_parent_name ON artifact (type_id, parent_id, name);
-- The highest stored timestamp, read once at start (NextTimestamp must stay
-- above it): a one-row index seek instead of reading a whole index, which
-- took 200 ms at 1M versions. Keys only grow, so inserts append.
CREATE INDEX context_by_update_time ON context (update_time);
CREATE INDEX artifact_by_update_time ON artifact (update_time);
CREATE INDEX execution_by_update_time ON execution (update_time);
)sql"},
      {3, "artifact create-time index", R"sql(
-- GET /artifacts over every kind, ordered by CREATE_TIME, walks this index in
-- order (the list skips the type index, see Queries::List) instead of sorting
-- all artifacts for each page.
CREATE INDEX artifact_by_create_time ON artifact (create_time);
)sql"},
      {4, "property value indexes", R"sql(
-- A filter on a string property by equality (framework = "x") finds its
-- owners here, so a list over a value few rows have reads those rows, not the
-- whole kind (storage::ChooseListSql; 355 ms at 1M versions before). Only
-- string rows: the other value columns are NULL there.
CREATE INDEX context_property_by_string ON context_property (name, is_custom, string_value)
  WHERE string_value IS NOT NULL;
CREATE INDEX artifact_property_by_string ON artifact_property (name, is_custom, string_value)
  WHERE string_value IS NOT NULL;
CREATE INDEX execution_property_by_string ON execution_property (name, is_custom, string_value)
  WHERE string_value IS NOT NULL;
)sql"},
  };
  return kMigrations;
}

}  // namespace mr::sqlite
