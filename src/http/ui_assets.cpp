#include "http/ui_assets.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mr::http {
namespace {

constexpr std::string_view kShellFile = "index.html";
constexpr std::string_view kAssetBasePlaceholder = "{{ASSET_BASE}}";
// Asset URLs carry the build's version, so a cached copy can never be stale.
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
// The shell names the current asset version, so it is revalidated on every load.
constexpr const char* kRevalidate = "no-cache";
// The UI loads only its own scripts and styles and talks only to this server.
constexpr const char* kShellPolicy =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

// Top-level segments of the app's own pages (ui/js/app.js routes them).
constexpr std::string_view kPageSegments[] = {"models", "versions", "deployments", "compare"};

std::string_view ContentTypeFor(std::string_view path) {
  struct Type {
    std::string_view extension, content_type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
  };
  for (const Type& type : kTypes) {
    if (path.size() >= type.extension.size() &&
        path.substr(path.size() - type.extension.size()) == type.extension) {
      return type.content_type;
    }
  }
  return "application/octet-stream";
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

UiAsset MakeAsset(std::string_view content_type, std::string body, const char* cache_control,
                  std::string etag) {
  UiAsset asset;
  asset.content_type = std::string(content_type);
  asset.gzip_body = Gzip(body);
  if (asset.gzip_body.size() >= body.size()) asset.gzip_body.clear();
  asset.body = std::move(body);
  asset.cache_control = cache_control;
  asset.etag = std::move(etag);
  return asset;
}

bool IsPagePath(std::string_view path) {
  if (path == "/") return true;
  if (path.empty() || path.front() != '/') return false;
  std::string_view first = path.substr(1, path.find('/', 1) - 1);
  return std::find(std::begin(kPageSegments), std::end(kPageSegments), first) !=
         std::end(kPageSegments);
}

bool IsUiPath(std::string_view path) { return path == "/ui" || path.rfind("/ui/", 0) == 0; }

}  // namespace

bool HeaderAccepts(std::string_view header, std::string_view token) {
  const std::string wanted = Lower(std::string(token));
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semicolon = item.find(';');
    if (Lower(Trim(item.substr(0, semicolon))) != wanted) continue;
    bool refused = false;
    while (semicolon != std::string_view::npos) {
      item = item.substr(semicolon + 1);
      semicolon = item.find(';');
      std::string param = Lower(Trim(item.substr(0, semicolon)));
      if (param.rfind("q=", 0) == 0) {
        std::string q = Trim(std::string_view(param).substr(2));
        refused = !q.empty() && q.find_first_not_of("0.") == std::string::npos;
      }
    }
    if (!refused) return true;
  }
  return false;
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

UiAssets::UiAssets(const EmbeddedFileSet& files)
    : asset_base_("/ui/assets/" + std::string(files.version)) {
  for (const EmbeddedFile& file : files.files) {
    if (file.path == kShellFile) {
      std::string html(file.bytes);
      ReplaceAll(html, kAssetBasePlaceholder, asset_base_);
      shell_ = MakeAsset(ContentTypeFor(file.path), std::move(html), kRevalidate,
                         "W/\"" + std::string(files.version) + "\"");
    } else {
      assets_.emplace(
          asset_base_ + "/" + std::string(file.path),
          MakeAsset(ContentTypeFor(file.path), std::string(file.bytes), kImmutable, ""));
    }
  }
}

const UiAssets& UiAssets::Embedded() {
  static const UiAssets* assets = new UiAssets(UiFiles());
  return *assets;
}

const UiAsset* UiAssets::Find(std::string_view path, bool accepts_html) const {
  if (path.rfind("/ui/assets/", 0) == 0) {
    auto it = assets_.find(path);
    return it == assets_.end() ? nullptr : &it->second;
  }
  if (shell_.body.empty()) return nullptr;
  if (IsUiPath(path) || (accepts_html && IsPagePath(path))) return &shell_;
  return nullptr;
}

std::optional<Response> UiAssets::Serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  const UiAsset* asset = Find(request.path, HeaderAccepts(request.Header("Accept"), "text/html"));
  if (asset == nullptr) return std::nullopt;

  Response response;
  response.content_type = asset->content_type;
  response.SetHeader("Cache-Control", asset->cache_control);
  response.SetHeader("X-Content-Type-Options", "nosniff");
  if (asset == &shell_) {
    // Whether "/" is the shell depends on Accept; the body on Accept-Encoding.
    response.SetHeader("Vary", "Accept, Accept-Encoding");
    response.SetHeader("Content-Security-Policy", kShellPolicy);
    response.SetHeader("Referrer-Policy", "no-referrer");
  } else if (!asset->gzip_body.empty()) {
    response.SetHeader("Vary", "Accept-Encoding");
  }
  if (!asset->etag.empty()) {
    response.SetHeader("ETag", asset->etag);
    if (request.Header("If-None-Match").find(asset->etag) != std::string_view::npos) {
      response.status = 304;
      response.content_type.clear();
      return response;
    }
  }
  if (!asset->gzip_body.empty() && HeaderAccepts(request.Header("Accept-Encoding"), "gzip")) {
    response.SetHeader("Content-Encoding", "gzip");
    response.body = asset->gzip_body;
  } else {
    response.body = asset->body;
  }
  return response;
}

}  // namespace mr::http
