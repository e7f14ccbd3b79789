// Standard base64 (RFC 4648, with padding), for page tokens and struct values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mr {

std::string Base64Encode(std::string_view data);

// Returns the decoded bytes, or nullopt when `text` is not canonical padded
// standard base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mr
