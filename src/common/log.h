// File: common/log.h
//
// Structured log lines on stderr, as text (`key=value`) or JSON, one line
// per event, filtered by level. Values are escaped, so a line is always one
// line; callers never pass secrets (tokens, Authorization headers).
//
//   Logger::Configure(LogFormat::kJson, LogLevel::kInfo);
//   Logger::Get().Write(LogLevel::kInfo, "request", {{"status", "200"}});
//
// Lines at info and debug level are handed to a background writer that
// writes whatever has gathered every few milliseconds in one write(2), so a
// request never waits for the log output; a process that exits normally
// writes every line first (Flush at exit). Warnings and errors are written
// before Write returns. When the output falls behind by more than a bounded
// buffer, the caller writes it out itself: lines are never dropped and the
// buffer never grows without bound.
//
// Thread-safety: Write may be called from any thread; Configure before
// threads start.
#pragma once

#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace mr {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

std::optional<LogLevel> LogLevelFromName(std::string_view name);
std::optional<LogFormat> LogFormatFromName(std::string_view name);

// A value is only viewed: it must outlive the Write call it is passed to.
struct LogField {
  std::string_view key;
  std::string_view value;
  bool number = false;  // JSON: written unquoted
};

class Logger {
 public:
  static Logger& Get();
  static void Configure(LogFormat format, LogLevel level, std::FILE* out = stderr);

  bool Enabled(LogLevel level) const { return level >= level_; }
  void Write(LogLevel level, std::string_view message, const LogField* fields, size_t field_count);
  void Write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    Write(level, message, fields.begin(), fields.size());
  }
  // Writes out every line handed to the background writer so far.
  void Flush();

  // Appends the formatted line, without its newline, to `line` (exposed for
  // tests).
  void Format(std::string& line, LogLevel level, std::string_view message, const LogField* fields,
              size_t field_count, std::string_view time) const;

 private:
  LogFormat format_ = LogFormat::kText;
  LogLevel level_ = LogLevel::kInfo;
  std::FILE* out_ = stderr;
};

}  // namespace mr
