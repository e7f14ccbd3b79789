// Rendering for the client commands: aligned tables for people, JSON and
// YAML for scripts.
//
//   FormatTable({"ID", "NAME"}, {{"1", "fraud"}, {"12", "churn"}})
//   ->  "ID  NAME\n1   fraud\n12  churn\n"
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mr::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// Left-aligned columns two spaces apart; widths count UTF-8 code points; no
// trailing spaces. Rows shorter than the header get empty cells.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// "KEY:  value" lines with the values aligned.
std::string FormatFields(const std::vector<std::pair<std::string, std::string>>& fields);

// Block-style YAML. Strings are written as JSON strings (valid YAML double-
// quoted scalars), so no value is ever reinterpreted (no, 1e3, 0x1, ...).
std::string FormatYaml(const nlohmann::json& value);

// Pretty JSON, or YAML; for kTable callers render themselves.
std::string FormatData(const nlohmann::json& value, OutputFormat format);

// Epoch milliseconds as a decimal string -> "2026-11-30 02:51:13" (UTC);
// anything else is returned unchanged.
std::string FormatEpochMs(const std::string& epoch_ms);

// A MetadataValue as plain text: the string, the number, true/false, or the
// struct's base64 text.
std::string FormatMetadataValue(const nlohmann::json& value);

// A member of `object` as text: strings as they are, other values as JSON,
// absent or null as "".
std::string Member(const nlohmann::json& object, const char* key);

}  // namespace mr::cli
