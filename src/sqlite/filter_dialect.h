// SQLite's rendering of the dialect-specific parts of a filter (filter.h).
#pragma once

#include "model_registry/filter.h"

namespace mr::sqlite {

// LIKE is case-sensitive as GLOB with the pattern translated (% -> *, _ -> ?,
// GLOB metacharacters bracket-escaped); ILIKE is SQLite's ASCII
// case-insensitive LIKE with a backslash escape; `IN ()` is 0.
const filter::SqlDialect& FilterDialect();

}  // namespace mr::sqlite
