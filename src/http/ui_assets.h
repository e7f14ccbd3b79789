// The web UI (ui/ in the repository) as the server answers it: the HTML shell for the app's
// pages and the versioned, immutable static assets it loads. The behaviour is described in
// README.md, section "Web UI".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "http/embedded_files.h"
#include "http/request_handler.h"

namespace mr::http {

struct UiAsset {
  std::string content_type;
  std::string body;
  std::string gzip_body;  // empty when gzip does not make the body smaller
  std::string cache_control;
  std::string etag;
};

class UiAssets {
 public:
  explicit UiAssets(const EmbeddedFileSet& files);

  // The set compiled into the binary, compressed once on first use.
  static const UiAssets& Embedded();

  // The shell is served for /ui and /ui/... (except under the asset prefix) always, and for "/"
  // and the app's own page paths (/models..., /versions..., /deployments..., /compare...) when
  // the request accepts text/html: scripts and health probes that poll "/" keep getting the
  // API's 404.
  const UiAsset* Find(std::string_view path, bool accepts_html) const;

  // The answer to a GET or HEAD of a UI path, or nullopt when the request is not the UI's.
  std::optional<Response> Serve(const Request& request) const;

  // "/ui/assets/<version>", the prefix of every static asset URL.
  const std::string& asset_base() const { return asset_base_; }

 private:
  std::string asset_base_;
  std::map<std::string, UiAsset, std::less<>> assets_;  // by URL path
  UiAsset shell_;
};

// True when a comma-separated Accept or Accept-Encoding header lists `token` itself (wildcards
// do not count) without q=0. Tokens compare case-insensitively.
bool HeaderAccepts(std::string_view header, std::string_view token);

// gzip (RFC 1952) of `data` at the best compression level.
std::string Gzip(std::string_view data);

}  // namespace mr::http
