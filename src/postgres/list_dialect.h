// PostgreSQL's rendering of the dialect-specific parts of a list query
// (storage::ListDialect) and of a filter (filter.h), shared by the session's
// queries (session.h) and the query-plan test, so that both see the SQL the
// server sends.
#pragma once

#include "storage/entity_rows.h"

namespace mr::postgres {

// LIKE and ILIKE are PostgreSQL's own (backslash escape); `IN ()` is FALSE.
const filter::SqlDialect& FilterDialect();

const storage::ListDialect& ListDialect();

}  // namespace mr::postgres
