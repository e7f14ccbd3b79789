// The web UI's serving rules (README "Web UI"): which paths get the shell, caching, gzip, 304.
#include "http/ui_assets.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>

namespace mr::http {
namespace {

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(inflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

const std::string kShellHtml =
    "<!doctype html><script type=module src=\"{{ASSET_BASE}}/js/app.js\"></script>" +
    std::string(400, ' ');
const std::string kScript = "export const x = 1;\n" + std::string(600, '/') + "\n";

const EmbeddedFileSet& FakeFiles() {
  static const EmbeddedFileSet set{"v123", {{"index.html", kShellHtml}, {"js/app.js", kScript}}};
  return set;
}

Request Get(std::string path, HeaderFields headers = {}) {
  Request request;
  request.method = "GET";
  request.target = path;
  request.path = std::move(path);
  request.headers = std::move(headers);
  return request;
}

std::string HeaderOf(const Response& response, std::string_view name) {
  for (const HeaderField& field : response.headers) {
    if (field.name == name) return field.value;
  }
  return "";
}

TEST_CASE("HeaderAccepts reads tokens and q=0", "[http][ui]") {
  CHECK(HeaderAccepts("gzip, deflate, br", "gzip"));
  CHECK(HeaderAccepts("br;q=1.0, GZIP;q=0.5", "gzip"));
  CHECK_FALSE(HeaderAccepts("gzip;q=0", "gzip"));
  CHECK_FALSE(HeaderAccepts("gzip; q=0.000", "gzip"));
  CHECK_FALSE(HeaderAccepts("deflate, br", "gzip"));
  CHECK_FALSE(HeaderAccepts("", "gzip"));
  CHECK(HeaderAccepts("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"));
  CHECK_FALSE(HeaderAccepts("*/*", "text/html"));
  CHECK_FALSE(HeaderAccepts("application/json", "text/html"));
}

TEST_CASE("Gzip output inflates back to the input", "[http][ui]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  std::string packed = Gzip(text);
  CHECK(packed.size() < text.size() / 3);
  CHECK(Gunzip(packed) == text);
  CHECK(Gunzip(Gzip("")).empty());
}

TEST_CASE("The shell answers UI paths always and page paths only for HTML clients", "[http][ui]") {
  UiAssets assets(FakeFiles());
  for (const char* path : {"/ui", "/ui/", "/ui/models/3"}) {
    CAPTURE(path);
    CHECK(assets.Find(path, false) != nullptr);
  }
  for (const char* path : {"/", "/models", "/models/12", "/models/12/versions/3", "/versions",
                           "/deployments", "/compare"}) {
    CAPTURE(path);
    CHECK(assets.Find(path, true) != nullptr);
    CHECK(assets.Find(path, false) == nullptr);
  }
  for (const char* path : {"/nope", "/modelsx", "/hello", "/api/model_registry/v1alpha3",
                           "/ui/assets/v123/missing.js", "/ui/assets/old/js/app.js"}) {
    CAPTURE(path);
    CHECK(assets.Find(path, true) == nullptr);
  }
}

TEST_CASE("The shell names the versioned assets and is revalidated", "[http][ui]") {
  UiAssets assets(FakeFiles());
  CHECK(assets.asset_base() == "/ui/assets/v123");
  std::optional<Response> shell = assets.Serve(Get("/models/4", {{"Accept", "text/html"}}));
  REQUIRE(shell);
  CHECK(shell->status == 200);
  CHECK(shell->content_type == "text/html; charset=utf-8");
  CHECK(shell->body.find("src=\"/ui/assets/v123/js/app.js\"") != std::string::npos);
  CHECK(shell->body.find("{{ASSET_BASE}}") == std::string::npos);
  CHECK(HeaderOf(*shell, "Cache-Control") == "no-cache");
  CHECK(HeaderOf(*shell, "Content-Encoding").empty());
  CHECK(HeaderOf(*shell, "Vary") == "Accept, Accept-Encoding");
  CHECK_FALSE(HeaderOf(*shell, "Content-Security-Policy").empty());

  std::string etag = HeaderOf(*shell, "ETag");
  REQUIRE_FALSE(etag.empty());
  std::optional<Response> again = assets.Serve(Get("/ui/", {{"If-None-Match", etag}}));
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());
  CHECK(again->content_type.empty());
}

TEST_CASE("Assets are immutable and gzip-encoded for clients that accept it", "[http][ui]") {
  UiAssets assets(FakeFiles());
  std::optional<Response> plain = assets.Serve(Get("/ui/assets/v123/js/app.js"));
  REQUIRE(plain);
  CHECK(plain->content_type == "text/javascript; charset=utf-8");
  CHECK(plain->body == kScript);
  CHECK(HeaderOf(*plain, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(HeaderOf(*plain, "Content-Encoding").empty());
  CHECK(HeaderOf(*plain, "Vary") == "Accept-Encoding");

  std::optional<Response> packed =
      assets.Serve(Get("/ui/assets/v123/js/app.js", {{"accept-encoding", "gzip, br"}}));
  REQUIRE(packed);
  CHECK(HeaderOf(*packed, "Content-Encoding") == "gzip");
  CHECK(packed->body.size() < kScript.size());
  CHECK(Gunzip(packed->body) == kScript);

  std::optional<Response> refused =
      assets.Serve(Get("/ui/assets/v123/js/app.js", {{"Accept-Encoding", "gzip;q=0"}}));
  REQUIRE(refused);
  CHECK(refused->body == kScript);
}

TEST_CASE("Only GET and HEAD are the UI's", "[http][ui]") {
  UiAssets assets(FakeFiles());
  Request head = Get("/ui/assets/v123/js/app.js");
  head.method = "HEAD";
  CHECK(assets.Serve(head));
  Request post = Get("/ui/");
  post.method = "POST";
  CHECK_FALSE(assets.Serve(post));
}

TEST_CASE("The embedded set has the shell and its scripts", "[http][ui]") {
  const UiAssets& assets = UiAssets::Embedded();
  CHECK(assets.asset_base().size() == std::string("/ui/assets/").size() + 12);
  const UiAsset* shell = assets.Find("/", true);
  REQUIRE(shell != nullptr);
  CHECK(shell->body.find(assets.asset_base() + "/js/app.js") != std::string::npos);
  CHECK(assets.Find(assets.asset_base() + "/js/app.js", false) != nullptr);
  CHECK(assets.Find(assets.asset_base() + "/app.css", false) != nullptr);
}

}  // namespace
}  // namespace mr::http
