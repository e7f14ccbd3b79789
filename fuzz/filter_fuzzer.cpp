// libFuzzer target for the filterQuery parser, printer and SQL emitter.
//
// Properties checked (abort on violation):
//   - Parse never crashes, and every error is kInvalidArgument with the
//     documented prefix.
//   - Round trip: ToString(Parse(q)) parses again and prints identically,
//     unless the printed form exceeds the length or nesting limit (printing
//     adds a parenthesis per connective).
//   - EmitSql with a permissive resolver succeeds or fails with
//     kInvalidArgument, and its text has one '?' per parameter.
//
// Run: filter_fuzzer -max_total_time=180 <scratch_corpus> fuzz/corpus/filter
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model_registry/filter.h"
#include "sqlite/filter_dialect.h"

namespace {

constexpr std::string_view kSyntaxPrefix =
    "invalid filter query syntax: error parsing filter query: ";

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "filter_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Columns for a few names, typed properties for suffixed names, inferred
// custom properties for everything else; "forbidden" is refused.
mr::Result<mr::filter::PropertyRef> PermissiveResolver(
    const std::string& name, std::optional<mr::filter::ValueSuffix> suffix) {
  using mr::filter::PropertyRef;
  using mr::filter::ValueType;
  PropertyRef ref;
  if (name == "forbidden") return mr::Status::InvalidArgument("cannot filter on forbidden");
  if (name == "name" || name == "id" || name == "state" || name == "score") {
    ref.where = PropertyRef::Where::kColumn;
    ref.column = "e." + name;
    ref.type = name == "name"    ? ValueType::kString
               : name == "score" ? ValueType::kDouble
                                 : ValueType::kInt;
    if (name == "state") {
      ref.enum_code = [](std::string_view text) -> int64_t { return text == "LIVE" ? 1 : -1; };
    }
    return ref;
  }
  ref.where = PropertyRef::Where::kProperty;
  ref.property_name = name;
  ref.is_custom = name != "owner";
  if (!suffix) {
    ref.infer_type = true;
    return ref;
  }
  switch (*suffix) {
    case mr::filter::ValueSuffix::kString:
      ref.type = ValueType::kString;
      break;
    case mr::filter::ValueSuffix::kInt:
      ref.type = ValueType::kInt;
      break;
    case mr::filter::ValueSuffix::kDouble:
      ref.type = ValueType::kDouble;
      break;
    case mr::filter::ValueSuffix::kBool:
      ref.type = ValueType::kBool;
      break;
  }
  return ref;
}

bool IsLimitError(const mr::Status& status) {
  const std::string& message = status.message();
  return message.find("nested deeper than") != std::string::npos ||
         message.find("longer than") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto parsed = mr::filter::Parse(query);
  if (!parsed.ok()) {
    const mr::Status& status = parsed.status();
    if (status.code() != mr::StatusCode::kInvalidArgument ||
        !StartsWith(status.message(), kSyntaxPrefix)) {
      Fail("parse error with the wrong code or prefix", status.ToString());
    }
    return 0;
  }
  if (!parsed.value()) return 0;  // empty query
  const mr::filter::Expr& expr = *parsed.value();

  std::string printed = mr::filter::ToString(expr);
  auto reparsed = mr::filter::Parse(printed);
  if (!reparsed.ok()) {
    if (!IsLimitError(reparsed.status())) {
      Fail("printed form does not parse", printed + "\n" + reparsed.status().ToString());
    }
  } else if (!reparsed.value()) {
    Fail("printed form parses as empty", printed);
  } else {
    std::string reprinted = mr::filter::ToString(*reparsed.value());
    if (reprinted != printed) Fail("round trip changed the AST", printed + "\n" + reprinted);
  }

  auto sql = mr::filter::EmitSql(expr, PermissiveResolver, mr::sqlite::FilterDialect(), "e.id",
                                 "context_property");
  if (!sql.ok()) {
    if (sql.status().code() != mr::StatusCode::kInvalidArgument) {
      Fail("EmitSql error with the wrong code", sql.status().ToString());
    }
    return 0;
  }
  size_t placeholders = 0;
  for (char c : sql.value().text) placeholders += c == '?' ? 1 : 0;
  if (placeholders != sql.value().params.size()) {
    Fail("placeholder count differs from parameter count", sql.value().text);
  }
  return 0;
}
