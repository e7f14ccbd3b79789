#include "common/decimal.h"

#include <charconv>

namespace mr {

std::optional<int64_t> ParseDecimal(std::string_view text, int64_t min, int64_t max) {
  bool plus = !text.empty() && text.front() == '+';
  if (plus) text.remove_prefix(1);
  // from_chars takes a '-' itself; what follows the one sign must be a digit.
  size_t digits_at = !plus && !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() <= digits_at || text[digits_at] < '0' || text[digits_at] > '9') {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace mr
