// File: common/log.h
//
// Structured log lines on stderr, as text (`key=value`) or JSON, one line
// per event, filtered by level. Values are escaped, so a line is always one
// line; callers never pass secrets (tokens, Authorization headers).
//
//   Logger::Configure(LogFormat::kJson, LogLevel::kInfo);
//   Logger::Get().Write(LogLevel::kInfo, "request", {{"status", "200"}});
//
// Thread-safety: Write may be called from any thread; Configure before
// threads start.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mr {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

std::optional<LogLevel> LogLevelFromName(std::string_view name);
std::optional<LogFormat> LogFormatFromName(std::string_view name);

struct LogField {
  std::string_view key;
  std::string value;
  bool number = false;  // JSON: written unquoted
};

class Logger {
 public:
  static Logger& Get();
  static void Configure(LogFormat format, LogLevel level, std::FILE* out = stderr);

  bool Enabled(LogLevel level) const { return level >= level_; }
  void Write(LogLevel level, std::string_view message, const std::vector<LogField>& fields);

  // The formatted line without its newline (exposed for tests).
  std::string Format(LogLevel level, std::string_view message, const std::vector<LogField>& fields,
                     std::string_view time) const;

 private:
  LogFormat format_ = LogFormat::kText;
  LogLevel level_ = LogLevel::kInfo;
  std::FILE* out_ = stderr;
};

}  // namespace mr
