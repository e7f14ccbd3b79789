#include "common/log.h"

#include <sys/time.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

#include "common/json_string.h"

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

// "2026-11-30T05:40:22.123Z". The part up to the seconds changes once a
// second, so each thread keeps it rather than calling gmtime_r per line
// (glibc takes a process-wide lock in it).
void AppendNow(std::string& out) {
  thread_local time_t cached_second = -1;
  thread_local char cached_prefix[24];
  timeval tv{};
  gettimeofday(&tv, nullptr);
  if (tv.tv_sec != cached_second) {
    std::tm utc{};
    gmtime_r(&tv.tv_sec, &utc);
    std::strftime(cached_prefix, sizeof cached_prefix, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = tv.tv_sec;
  }
  const int millis = static_cast<int>(tv.tv_usec / 1000);
  const char tail[] = {'.', static_cast<char>('0' + millis / 100),
                       static_cast<char>('0' + millis / 10 % 10),
                       static_cast<char>('0' + millis % 10), 'Z'};
  out += cached_prefix;
  out.append(tail, sizeof tail);
}

// The background writer. Lines gather in `pending_`; the writer thread wakes
// when the first one arrives, lets more gather for kGatherTime and writes
// them together. Never destroyed, so that threads still logging while the
// process exits find it intact.
class LineSink {
 public:
  static constexpr auto kGatherTime = std::chrono::milliseconds(10);
  static constexpr size_t kMaxPending = 1 << 20;

  void Append(std::FILE* out, std::string_view line, bool write_now) {
    bool flush_here = write_now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out_ = out;
      pending_.append(line);
      // Backpressure: a log reader slower than the requests slows the
      // requests down instead of growing this buffer.
      if (pending_.size() > kMaxPending) flush_here = true;
      if (!flush_here && !wake_requested_) {
        wake_requested_ = true;
        StartWriterOnce();
        wake_.notify_one();
      }
    }
    if (flush_here) Flush();
  }

  void Flush() {
    std::lock_guard<std::mutex> write_lock(write_mu_);  // keeps batches in order
    std::FILE* out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return;
      writing_.swap(pending_);
      out = out_;
    }
    std::fwrite(writing_.data(), 1, writing_.size(), out);
    std::fflush(out);
    writing_.clear();
  }

 private:
  void StartWriterOnce() {
    if (writer_started_) return;
    writer_started_ = true;
    std::atexit([] { Sink().Flush(); });
    std::thread([this] { RunWriter(); }).detach();
  }

  void RunWriter() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return wake_requested_; });
      }
      std::this_thread::sleep_for(kGatherTime);
      {
        std::lock_guard<std::mutex> lock(mu_);
        wake_requested_ = false;
      }
      Flush();
    }
  }

 public:
  static LineSink& Sink() {
    static LineSink* sink = new LineSink;
    return *sink;
  }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  std::string pending_;          // guarded by mu_
  bool wake_requested_ = false;  // guarded by mu_
  bool writer_started_ = false;  // guarded by mu_
  std::FILE* out_ = stderr;      // guarded by mu_
  std::mutex write_mu_;
  std::string writing_;  // guarded by write_mu_
};

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

void Logger::Format(std::string& line, LogLevel level, std::string_view message,
                    const LogField* fields, size_t field_count, std::string_view time) const {
  if (format_ == LogFormat::kJson) {
    line += "{\"time\":";
    AppendJsonString(line, time);
    line += ",\"level\":\"";
    line += LevelName(level);
    line += "\",\"msg\":";
    AppendJsonString(line, message);
    for (size_t i = 0; i < field_count; ++i) {
      const LogField& field = fields[i];
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
    return;
  }
  line += time;
  line += ' ';
  line += LevelName(level);
  line += ' ';
  AppendTextValue(line, message);
  for (size_t i = 0; i < field_count; ++i) {
    const LogField& field = fields[i];
    line += ' ';
    line += field.key;
    line += '=';
    AppendTextValue(line, field.value);
  }
}

void Logger::Write(LogLevel level, std::string_view message, const LogField* fields,
                   size_t field_count) {
  if (!Enabled(level)) return;
  thread_local std::string time;
  thread_local std::string line;
  time.clear();
  AppendNow(time);
  line.clear();
  Format(line, level, message, fields, field_count, time);
  line += '\n';
  LineSink::Sink().Append(out_, line, level >= LogLevel::kWarn);
}

void Logger::Flush() { LineSink::Sink().Flush(); }

}  // namespace mr
