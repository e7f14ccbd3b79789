#include "common/log.h"

#include <sys/time.h>

#include <ctime>
#include <mutex>

namespace mr {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      break;
  }
  return "error";
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Text values are bare when they are simple, else JSON-quoted, so a value can
// never break the line or forge another key.
void AppendTextValue(std::string& out, std::string_view text) {
  bool bare = !text.empty();
  for (unsigned char c : text) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) bare = false;
  }
  if (bare) {
    out += text;
  } else {
    AppendJsonString(out, text);
  }
}

std::string Now() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
  return text;
}

std::mutex& WriteMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

std::optional<LogLevel> LogLevelFromName(std::string_view name) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LevelName(level)) return level;
  }
  return std::nullopt;
}

std::optional<LogFormat> LogFormatFromName(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

Logger& Logger::Get() {
  static Logger logger;
  return logger;
}

void Logger::Configure(LogFormat format, LogLevel level, std::FILE* out) {
  Logger& logger = Get();
  logger.format_ = format;
  logger.level_ = level;
  logger.out_ = out;
}

std::string Logger::Format(LogLevel level, std::string_view message,
                           const std::vector<LogField>& fields, std::string_view time) const {
  std::string line;
  line.reserve(256);
  if (format_ == LogFormat::kJson) {
    line += "{\"time\":";
    AppendJsonString(line, time);
    line += ",\"level\":\"";
    line += LevelName(level);
    line += "\",\"msg\":";
    AppendJsonString(line, message);
    for (const LogField& field : fields) {
      line += ',';
      AppendJsonString(line, field.key);
      line += ':';
      if (field.number) {
        line += field.value;
      } else {
        AppendJsonString(line, field.value);
      }
    }
    line += '}';
    return line;
  }
  line += time;
  line += ' ';
  line += LevelName(level);
  line += ' ';
  AppendTextValue(line, message);
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    AppendTextValue(line, field.value);
  }
  return line;
}

void Logger::Write(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, message, fields, Now());
  line += '\n';
  std::lock_guard<std::mutex> lock(WriteMutex());
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace mr
