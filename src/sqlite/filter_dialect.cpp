#include "sqlite/filter_dialect.h"

#include <string>
#include <string_view>

namespace mr::sqlite {
namespace {

// SQL LIKE pattern -> GLOB pattern with the same meaning, case-sensitive.
std::string LikeToGlob(std::string_view pattern) {
  std::string glob;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      c = pattern[++i];
    } else if (c == '%') {
      glob += '*';
      continue;
    } else if (c == '_') {
      glob += '?';
      continue;
    }
    if (c == '*' || c == '?' || c == '[') {
      glob += '[';
      glob += c;
      glob += ']';
    } else {
      glob += c;
    }
  }
  return glob;
}

void MatchPattern(std::string_view expression, std::string_view pattern, bool case_insensitive,
                  filter::SqlFragment& out) {
  out.text += expression;
  if (case_insensitive) {
    out.text += " LIKE ? ESCAPE '\\'";
    out.params.emplace_back(filter::NormalizeLikePattern(pattern));
  } else {
    out.text += " GLOB ?";
    out.params.emplace_back(LikeToGlob(pattern));
  }
}

}  // namespace

const filter::SqlDialect& FilterDialect() {
  static const filter::SqlDialect kDialect{MatchPattern, "0", ""};
  return kDialect;
}

}  // namespace mr::sqlite
