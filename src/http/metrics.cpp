#include "http/metrics.h"

#include <cstdio>

#include "common/double_text.h"

namespace mr::http {
namespace {

// Label values are operation ids, methods and versions: escape anyway.
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Bound(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

void Metrics::RequestFinished(std::string_view operation, std::string_view method, int status,
                              double seconds) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{operation, MethodLabel(method), status}];
  Histogram& h = durations_[operation];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render(const std::vector<StorageStat>& storage, std::string_view version,
                            double process_start_seconds) const {
  std::string out;
  out.reserve(4096);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Header(out, "model_registry_http_requests_total", "counter",
           "HTTP requests answered, by operation, method and status.");
    for (const auto& [key, count] : requests_) {
      const auto& [operation, method, status] = key;
      out += "model_registry_http_requests_total{operation=\"" + Label(operation) + "\",method=\"" +
             Label(method) + "\",status=\"" + std::to_string(status) + "\"} " +
             std::to_string(count) + "\n";
    }
    Header(out, "model_registry_http_request_duration_seconds", "histogram",
           "Time from a request's arrival at the handler to its answer, by operation.");
    for (const auto& [operation, h] : durations_) {
      const std::string labels = "operation=\"" + Label(operation) + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += "model_registry_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
               Bound(kBuckets[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
      }
      out += "model_registry_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += "model_registry_http_request_duration_seconds_sum{" + labels + "} " +
             DoubleText(h.sum) + "\n";
      out += "model_registry_http_request_duration_seconds_count{" + labels + "} " +
             std::to_string(h.count) + "\n";
    }
  }
  Header(out, "model_registry_http_requests_in_flight", "gauge",
         "Requests being handled right now.");
  out += "model_registry_http_requests_in_flight " +
         std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  Header(out, "model_registry_http_open_connections", "gauge",
         "Client connections open right now (transports that track them).");
  out += "model_registry_http_open_connections " +
         std::to_string(open_connections_.load(std::memory_order_relaxed)) + "\n";
  for (const StorageStat& stat : storage) {
    std::string name = "model_registry_db_" + stat.name;
    Header(out, name.c_str(), stat.counter ? "counter" : "gauge", stat.help.c_str());
    out += name + " " + DoubleText(stat.value) + "\n";
  }
  Header(out, "model_registry_process_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch, in seconds.");
  out += "model_registry_process_start_time_seconds " + DoubleText(process_start_seconds) + "\n";
  Header(out, "model_registry_build_info", "gauge", "Always 1; the version is a label.");
  out += "model_registry_build_info{version=\"" + Label(version) + "\"} 1\n";
  return out;
}

}  // namespace mr::http
