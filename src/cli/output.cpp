#include "cli/output.h"

#include <cctype>
#include <ctime>

namespace mr::cli {
namespace {

using nlohmann::json;

size_t DisplayWidth(const std::string& s) {
  size_t width = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

void AppendPadded(std::string& out, const std::string& cell, size_t width) {
  out += cell;
  out.append(width - DisplayWidth(cell), ' ');
}

bool IsScalar(const json& v) { return !v.is_object() && !v.is_array(); }

std::string Scalar(const json& v) { return v.is_string() ? json(v).dump() : v.dump(); }

// A key written plain when YAML cannot read it as anything but that string.
std::string YamlKey(const std::string& key) {
  static const char* const kSpecial[] = {"y",     "n",  "yes", "no",  "true",
                                         "false", "on", "off", "null"};
  bool plain = !key.empty() && std::isalpha(static_cast<unsigned char>(key[0])) != 0;
  for (char c : key) {
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-');
  }
  std::string lower;
  for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* special : kSpecial) plain = plain && lower != special;
  return plain ? key : json(key).dump();
}

void WriteYaml(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [key, item] : v.items()) {
      out += pad + YamlKey(key) + ":";
      if (IsScalar(item) || item.empty()) {
        out += " " +
               (item.is_object()  ? std::string("{}")
                : item.is_array() ? std::string("[]")
                                  : Scalar(item)) +
               "\n";
      } else {
        out += "\n";
        WriteYaml(item, indent + 2, out);
      }
    }
  } else if (v.is_array()) {
    for (const json& item : v) {
      if (IsScalar(item) || item.empty()) {
        out += pad + "- " +
               (item.is_object()  ? std::string("{}")
                : item.is_array() ? std::string("[]")
                                  : Scalar(item)) +
               "\n";
      } else {
        // The first line of a nested block goes after "- ".
        std::string nested;
        WriteYaml(item, indent + 2, nested);
        out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
      }
    }
  } else {
    out += pad + Scalar(v) + "\n";
  }
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const std::string& h : headers) widths.push_back(DisplayWidth(h));
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      if (i + 1 == widths.size()) {
        text += cell;
      } else {
        AppendPadded(text, cell, widths[i] + 2);
      }
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
  return out;
}

std::string FormatFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string line;
    AppendPadded(line, key + ":", width + 2);
    line += value;
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string FormatYaml(const json& value) {
  if (IsScalar(value) || value.empty()) {
    return (value.is_object()  ? std::string("{}")
            : value.is_array() ? std::string("[]")
                               : Scalar(value)) +
           "\n";
  }
  std::string out;
  WriteYaml(value, 0, out);
  return out;
}

std::string FormatData(const json& value, OutputFormat format) {
  if (format == OutputFormat::kYaml) return FormatYaml(value);
  return value.dump(2) + "\n";
}

std::string FormatEpochMs(const std::string& epoch_ms) {
  if (epoch_ms.empty() || epoch_ms.size() > 15 ||
      epoch_ms.find_first_not_of("0123456789") != std::string::npos) {
    return epoch_ms;
  }
  std::time_t seconds = static_cast<std::time_t>(std::stoll(epoch_ms) / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &utc);
  return buf;
}

std::string FormatMetadataValue(const json& value) {
  for (const char* key :
       {"string_value", "int_value", "double_value", "bool_value", "struct_value"}) {
    if (value.contains(key)) return Member(value, key);
  }
  return value.dump();
}

std::string Member(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace mr::cli
