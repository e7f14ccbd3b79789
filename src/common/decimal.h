// The one decimal-integer parser. Ids, page sizes, step lists, page tokens,
// int custom values, epoch strings and filter literals all read integers
// through it, so every place agrees on what a number is.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace mr {

// Parses all of `text` as an optional sign ('+' or '-') followed by one or
// more ASCII digits (leading zeros allowed), the grammar of Go's
// strconv.ParseInt(text, 10, bits). Returns nullopt for anything else or for
// a value outside [min, max].
std::optional<int64_t> ParseDecimal(std::string_view text,
                                    int64_t min = std::numeric_limits<int64_t>::min(),
                                    int64_t max = std::numeric_limits<int64_t>::max());

inline std::optional<int64_t> ParseInt32(std::string_view text) {
  return ParseDecimal(text, std::numeric_limits<int32_t>::min(),
                      std::numeric_limits<int32_t>::max());
}

}  // namespace mr
