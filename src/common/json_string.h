// JSON string quoting shared by the response writer and the JSON log format.
#pragma once

#include <string>
#include <string_view>

namespace mr {

// Appends `value` as a quoted JSON string. Control characters are escaped and
// invalid UTF-8 becomes U+FFFD, so the result is always valid JSON on one line.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace mr
