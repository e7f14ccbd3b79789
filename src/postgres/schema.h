// The PostgreSQL schema as numbered migrations.
#pragma once

#include <vector>

namespace mr::postgres {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// All migrations in ascending version order.
const std::vector<Migration>& Migrations();

}  // namespace mr::postgres
