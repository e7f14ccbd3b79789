#include "postgres/list_dialect.h"

namespace mr::postgres {

const filter::SqlDialect& FilterDialect() {
  static const filter::SqlDialect kDialect{
      [](std::string_view expression, std::string_view pattern, bool case_insensitive,
         filter::SqlFragment& out) {
        out.text += expression;
        // PostgreSQL's LIKE escape is the backslash by default.
        out.text += case_insensitive ? " ILIKE ?" : " LIKE ?";
        out.params.emplace_back(filter::NormalizeLikePattern(pattern));
      },
      "FALSE",
      // OFFSET 0 keeps each property lookup a correlated subplan, run per row
      // (a primary-key probe) as a page is walked in order: PostgreSQL plans
      // an EXISTS it may simplify either as a semi-join (100 of them took
      // over 10 s to plan, docs/DEPLOYMENT.md) or as a "hashed SubPlan" that
      // reads every row with the property for each page (a sequential scan
      // of the property table for `epochs > 5`). The query-plan test
      // (tests/unit/postgres) fails without it.
      " OFFSET 0"};
  return kDialect;
}

const storage::ListDialect& ListDialect() {
  static const storage::ListDialect kDialect = [] {
    storage::ListDialect dialect;
    dialect.filter = &FilterDialect();
    dialect.substring_position = "strpos";
    // Untyped parameters in a row comparison would be resolved as text.
    dialect.int_placeholder = "?::bigint";
    return dialect;
  }();
  return kDialect;
}

}  // namespace mr::postgres
