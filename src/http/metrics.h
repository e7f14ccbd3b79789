// File: http/metrics.h
//
// Request and connection metrics, rendered in the Prometheus text format at
// GET /metrics. docs/OPERATIONS.md says what each metric means.
//
//   metrics.RequestStarted();
//   ...
//   metrics.RequestFinished("getRegisteredModel", "GET", 200, 0.0004);
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "model_registry/repository.h"

namespace mr::http {

class Metrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // `operation` is the operationId, or a fixed word for requests that reach
  // no operation ("notFound", "health", "ui", ...), in storage that lives as
  // long as the process: it is kept as a view. Methods other than the seven
  // the API uses count as "other", so the label set stays small whatever
  // clients send.
  void RequestFinished(std::string_view operation, std::string_view method, int status,
                       double seconds);
  // Called by transports that know their connections.
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }

  // The whole exposition: these metrics, `storage`'s, process start time and
  // build info.
  std::string Render(const std::vector<StorageStat>& storage, std::string_view version,
                     double process_start_seconds) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };

  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> open_connections_{0};
  mutable std::mutex mu_;
  // (operation, method, status) -> requests; guarded by mu_. Views of static
  // storage, so counting a request allocates nothing once its key exists.
  std::map<std::tuple<std::string_view, std::string_view, int>, uint64_t> requests_;
  std::map<std::string_view, Histogram> durations_;  // by operation; guarded by mu_
};

}  // namespace mr::http
