#include "cli/metadata.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "cli/command_error.h"

namespace mr::cli {
namespace {

using nlohmann::json;

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t start = s[0] == '-' || s[0] == '+' ? 1 : 0;
  if (start == s.size()) return std::nullopt;
  for (size_t i = start; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  errno = 0;
  long long v = std::strtoll(s.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

// A finite decimal number; hex floats, "inf" and "nan" are not numbers here.
std::optional<double> ParseDouble(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789+-.eE") != std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

json Typed(const char* type, const char* payload_key, json payload) {
  return json{{"metadataType", type}, {payload_key, std::move(payload)}};
}

json StringValue(const std::string& v) { return Typed("MetadataStringValue", "string_value", v); }
// The API carries int64 values as decimal strings.
json IntValue(int64_t v) { return Typed("MetadataIntValue", "int_value", std::to_string(v)); }
json DoubleValue(double v) { return Typed("MetadataDoubleValue", "double_value", v); }
json BoolValue(bool v) { return Typed("MetadataBoolValue", "bool_value", v); }

bool LooksIntegral(const std::string& s) {
  size_t start = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  return s.size() > start && s.find_first_not_of("0123456789", start) == std::string::npos;
}

json Inferred(const std::string& value) {
  if (auto b = ParseBool(value)) return BoolValue(*b);
  if (auto i = ParseInt(value)) return IntValue(*i);
  // Digits beyond int64 stay text rather than silently losing precision.
  if (LooksIntegral(value)) return StringValue(value);
  if (auto d = ParseDouble(value)) return DoubleValue(*d);
  return StringValue(value);
}

}  // namespace

MetaArgument ParseMetaArgument(const std::string& argument) {
  auto bad = [&](const std::string& why) {
    return CommandError(kExitUsage, "bad --meta '" + argument + "': " + why);
  };
  size_t eq = argument.find('=');
  if (eq == std::string::npos || eq == 0) throw bad("expected KEY=VALUE or KEY:TYPE=VALUE");
  std::string key = argument.substr(0, eq);
  std::string value = argument.substr(eq + 1);
  size_t colon = key.rfind(':');
  if (colon == std::string::npos) return {key, Inferred(value)};
  std::string type = key.substr(colon + 1);
  key.resize(colon);
  if (key.empty()) throw bad("expected KEY=VALUE or KEY:TYPE=VALUE");
  auto not_a = [&](const char* what) { return bad("'" + value + "' is not " + what); };
  if (type == "string") return {key, StringValue(value)};
  if (type == "int") {
    auto i = ParseInt(value);
    if (!i) throw not_a("an int (a 64-bit integer)");
    return {key, IntValue(*i)};
  }
  if (type == "double") {
    auto d = ParseDouble(value);
    if (!d) throw not_a("a double (a finite decimal number)");
    return {key, DoubleValue(*d)};
  }
  if (type == "bool") {
    auto b = ParseBool(value);
    if (!b) throw not_a("a bool (true or false)");
    return {key, BoolValue(*b)};
  }
  throw bad("TYPE must be string, int, double or bool");
}

json ParseMetaArguments(const std::vector<std::string>& arguments) {
  json properties = json::object();
  for (const std::string& argument : arguments) {
    MetaArgument meta = ParseMetaArgument(argument);
    if (properties.contains(meta.key)) {
      throw CommandError(kExitUsage, "--meta key '" + meta.key + "' is given twice");
    }
    properties[meta.key] = std::move(meta.value);
  }
  return properties;
}

}  // namespace mr::cli
