// The HTTP side of the client commands: one server, JSON in and out, errors
// turned into CommandError with the server's own message.
//
//   ApiClient api({"http://localhost:8080", token, ca_file});
//   json model = api.Get("/registered_model", {{"name", "fraud"}});
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace mr::cli {

// The API version the client speaks (docs/CLI.md).
extern const char* const kApiPrefix;

struct ConnectionOptions {
  std::string server = "http://localhost:8080";  // http[s]://HOST[:PORT][/PATH]
  std::string token;                             // sent as "Authorization: Bearer"
  std::string ca_file;                           // PEM bundle to verify an https server
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A list request; paging is done by ApiClient::ListAll.
struct ListOptions {
  std::string filter;    // filterQuery
  std::string order_by;  // ID, CREATE_TIME or LAST_UPDATE_TIME; empty: the server's default
  bool descending = false;
  int limit = 0;  // at most this many items; 0: all
};

class ApiClient {
 public:
  // Throws CommandError(kExitUsage) for a malformed server URL, a CA file that
  // cannot be read, or --ca-file with an http:// server.
  explicit ApiClient(const ConnectionOptions& options);
  ~ApiClient();

  // Each throws CommandError: kExitUnreachable when no reply arrives,
  // kExitNotFound on 404, kExitAuth on 401/403, kExitFailed otherwise.
  nlohmann::json Get(const std::string& path, const QueryParams& params = {});
  nlohmann::json Post(const std::string& path, const nlohmann::json& body);
  nlohmann::json Patch(const std::string& path, const nlohmann::json& body);

  // Like Get, but a 404 is nullopt.
  std::optional<nlohmann::json> Find(const std::string& path, const QueryParams& params);

  // Every item of the list route `path` (following nextPageToken) up to
  // options.limit.
  std::vector<nlohmann::json> ListAll(const std::string& path, const ListOptions& options);

 private:
  nlohmann::json Send(const std::string& method, const std::string& path, const QueryParams& params,
                      const nlohmann::json* body, bool* not_found);

  std::string display_url_;  // the --server value, for messages
  std::string base_path_;    // URL path before the API prefix, without trailing '/'
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace mr::cli
