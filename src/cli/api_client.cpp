#include "cli/api_client.h"

#include <httplib.h>

#include <algorithm>
#include <fstream>

#include "cli/command_error.h"

#ifndef MR_VERSION
#define MR_VERSION "dev"
#endif

namespace mr::cli {

const char* const kApiPrefix = "/api/model_registry/v1";

namespace {

using nlohmann::json;

constexpr int kPageSize = 100;

std::string DescribeTransportError(httplib::Error error, const std::string& url) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect to " + url;
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting to " + url;
    case httplib::Error::Read:
      return "no reply from " + url;
    case httplib::Error::Write:
      return "cannot send the request to " + url;
    case httplib::Error::SSLConnection:
      return "TLS handshake with " + url + " failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA certificates (see --ca-file)";
    case httplib::Error::SSLServerVerification:
      return "the TLS certificate of " + url + " is not trusted (see --ca-file)";
    default:
      break;
  }
  return "request to " + url + " failed: " + httplib::to_string(error);
}

// The server's one-line message from an error body, or a description of the
// status when the body is not the API's {"code", "message"}.
std::string ErrorMessage(const httplib::Response& response) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    std::string message = body["message"].get<std::string>();
    std::replace(message.begin(), message.end(), '\n', ' ');
    if (!message.empty()) return message;
  }
  return "the server answered HTTP " + std::to_string(response.status);
}

int ExitCodeFor(int status) {
  if (status == 404) return kExitNotFound;
  if (status == 401 || status == 403) return kExitAuth;
  return kExitFailed;
}

}  // namespace

ApiClient::ApiClient(const ConnectionOptions& options) : display_url_(options.server) {
  const std::string& url = options.server;
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t path_start = url.find('/', host_start);
  std::string host_port = url.substr(host_start, path_start - host_start);
  if ((scheme != "http" && scheme != "https") || host_port.empty() ||
      url.find_first_of(" ?#", host_start) != std::string::npos) {
    throw CommandError(kExitUsage, "bad --server URL '" + url +
                                       "': expected http://HOST[:PORT][/PATH] or https://...");
  }
  if (path_start != std::string::npos) base_path_ = url.substr(path_start);
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  if (!options.ca_file.empty()) {
    if (scheme != "https") {
      throw CommandError(kExitUsage, "--ca-file needs an https:// server URL");
    }
    if (!std::ifstream(options.ca_file)) {
      throw CommandError(kExitUsage, "cannot read --ca-file " + options.ca_file);
    }
  }
  client_ = std::make_unique<httplib::Client>(scheme + "://" + host_port);
  if (!client_->is_valid()) {
    throw CommandError(kExitUsage, "bad --server URL '" + url + "'");
  }
  client_->set_connection_timeout(5, 0);
  client_->set_read_timeout(30, 0);
  client_->set_write_timeout(30, 0);
  client_->set_keep_alive(true);
  if (scheme == "https") {
    client_->enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) client_->set_ca_cert_path(options.ca_file.c_str());
  }
  if (!options.token.empty()) client_->set_bearer_token_auth(options.token.c_str());
}

ApiClient::~ApiClient() = default;

json ApiClient::Get(const std::string& path, const QueryParams& params) {
  return Send("GET", path, params, nullptr, nullptr);
}

json ApiClient::Post(const std::string& path, const json& body) {
  return Send("POST", path, {}, &body, nullptr);
}

json ApiClient::Patch(const std::string& path, const json& body) {
  return Send("PATCH", path, {}, &body, nullptr);
}

std::optional<json> ApiClient::Find(const std::string& path, const QueryParams& params) {
  bool not_found = false;
  json found = Send("GET", path, params, nullptr, &not_found);
  if (not_found) return std::nullopt;
  return found;
}

std::vector<json> ApiClient::ListAll(const std::string& path, const ListOptions& options) {
  std::vector<json> items;
  std::string token;
  for (;;) {
    int want = kPageSize;
    if (options.limit > 0) want = std::min(want, options.limit - static_cast<int>(items.size()));
    QueryParams params = {{"pageSize", std::to_string(want)}};
    if (!options.filter.empty()) params.emplace_back("filterQuery", options.filter);
    if (!options.order_by.empty()) params.emplace_back("orderBy", options.order_by);
    params.emplace_back("sortOrder", options.descending ? "DESC" : "ASC");
    if (!token.empty()) params.emplace_back("nextPageToken", token);
    json page = Get(path, params);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
      throw CommandError(kExitFailed, "the server sent a list without items for " + path);
    }
    for (json& item : page["items"]) items.push_back(std::move(item));
    token = page.value("nextPageToken", "");
    if (token.empty() || (options.limit > 0 && static_cast<int>(items.size()) >= options.limit)) {
      return items;
    }
  }
}

json ApiClient::Send(const std::string& method, const std::string& path, const QueryParams& params,
                     const json* body, bool* not_found) {
  std::string target = base_path_ + kApiPrefix + path;
  httplib::Params query(params.begin(), params.end());
  if (!query.empty()) target = httplib::append_query_params(target, query);
  httplib::Headers headers = {{"Accept", "application/json"},
                              {"User-Agent", std::string("model-registry-cli/") + MR_VERSION}};
  httplib::Result result = method == "GET" ? client_->Get(target, headers)
                           : method == "POST"
                               ? client_->Post(target, headers, body->dump(), "application/json")
                               : client_->Patch(target, headers, body->dump(), "application/json");
  if (!result) {
    int code = result.error() == httplib::Error::SSLLoadingCerts ? kExitUsage : kExitUnreachable;
    throw CommandError(code, DescribeTransportError(result.error(), display_url_));
  }
  const httplib::Response& response = *result;
  if (response.status == 404 && not_found != nullptr) {
    *not_found = true;
    return json();
  }
  if (response.status < 200 || response.status >= 300) {
    throw CommandError(ExitCodeFor(response.status), ErrorMessage(response));
  }
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw CommandError(kExitFailed, "the server sent a reply that is not JSON (HTTP " +
                                        std::to_string(response.status) + ")");
  }
  return parsed;
}

}  // namespace mr::cli
