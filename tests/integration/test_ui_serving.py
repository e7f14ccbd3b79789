"""The web UI as HTTP serves it (README "Web UI"): the shell at / and the app's page paths for
browsers, versioned immutable assets, gzip, and the API's 404 for non-browser clients of /."""
import gzip
import re

import pytest

from helpers import is_json_response, request
from helpers import shared_server  # noqa: F401  (fixture override)

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BUDGET_BYTES = 100 * 1024  # everything a first visit transfers, compressed


def shell(server, path="/ui/", **headers):
    resp = request("GET", server.url + path, headers={**HTML, **headers})
    assert resp.status_code == 200, path
    return resp


def asset_urls(html):
    return sorted(set(re.findall(r'(?:href|src)="(/ui/assets/[0-9a-f]{12}/[^"]+)"', html)))


def raw_get(server, path, **headers):
    """The bytes as sent, without undoing any Content-Encoding."""
    resp = request("GET", server.url + path, headers=headers, stream=True)
    body = resp.raw.read(decode_content=False)
    return resp, body


@pytest.mark.parametrize("path", ["/", "/models", "/models/12", "/models/12/versions/3",
                                  "/models/new", "/versions", "/deployments",
                                  "/compare?versions=4,5", "/models?prop=a%1F%3D%1F1&prop=b%1F%3D%1F2"])
def test_page_paths_serve_the_shell_to_browsers(shared_server, path):
    resp = shell(shared_server, path)
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert "Accept" in resp.headers["Vary"]
    assert '<main id="main"' in resp.text
    assert asset_urls(resp.text)


@pytest.mark.parametrize("path", ["/ui", "/ui/", "/ui/models/3"])
def test_ui_paths_serve_the_shell_to_any_client(shared_server, path):
    resp = request("GET", shared_server.url + path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("path", ["/", "/models/12", "/nope"])
def test_non_browser_clients_of_page_paths_get_the_api_404(shared_server, path):
    # Upstream's Python harness polls GET / and takes a 404 as "server up".
    resp = request("GET", shared_server.url + path, headers={"Accept": "*/*"})
    assert resp.status_code == 404
    assert is_json_response(resp)


def test_unknown_paths_stay_404_for_browsers(shared_server):
    for path in ["/nope", "/ui/assets/000000000000/js/app.js", "/modelsx"]:
        resp = request("GET", shared_server.url + path, headers=HTML)
        assert resp.status_code == 404, path


def test_api_is_unchanged_for_browsers(shared_server):
    resp = request("GET", shared_server.api + "/registered_models", headers=HTML)
    assert resp.status_code == 200
    assert is_json_response(resp)


def test_assets_have_types_and_immutable_caching(shared_server):
    urls = asset_urls(shell(shared_server).text)
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".svg": "image/svg+xml"}
    assert any(u.endswith(".css") for u in urls) and any(u.endswith("/js/app.js") for u in urls)
    for url in urls:
        resp = request("GET", shared_server.url + url)
        assert resp.status_code == 200, url
        assert resp.headers["Content-Type"] == types[url[url.rindex("."):]], url
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_every_imported_module_is_preloaded(shared_server):
    html = shell(shared_server).text
    urls = asset_urls(html)
    base = urls[0][:urls[0].index("/", len("/ui/assets/"))]
    modules = [u for u in urls if u.endswith(".js")]
    for url in modules:
        text = request("GET", shared_server.url + url).text
        for name in re.findall(r"from '\./([a-z]+\.js)'", text):
            assert f"{base}/js/{name}" in modules, f"{url} imports {name}, which is not preloaded"


def test_gzip_when_accepted_and_the_first_visit_fits_the_budget(shared_server):
    resp, body = raw_get(shared_server, "/ui/", **{"Accept-Encoding": "gzip"})
    assert "gzip" in resp.headers["Content-Encoding"]
    total = len(body)
    for url in asset_urls(shell(shared_server).text):
        plain = request("GET", shared_server.url + url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers, url
        resp, body = raw_get(shared_server, url, **{"Accept-Encoding": "gzip"})
        encodings = [e.strip() for e in resp.headers.get("Content-Encoding", "").split(",") if e]
        for _ in encodings:
            assert _ == "gzip"
        decoded = body
        for _ in encodings:
            decoded = gzip.decompress(decoded)
        assert decoded == plain.content, url
        total += len(body)
    print(f"first visit, compressed: {total} bytes")
    assert total < BUDGET_BYTES


def test_shell_revalidates_with_its_etag(shared_server):
    etag = shell(shared_server).headers["ETag"]
    resp = request("GET", shared_server.url + "/ui/", headers={**HTML, "If-None-Match": etag})
    assert resp.status_code == 304
    assert resp.content == b""


def test_head_of_an_asset_has_no_body(shared_server):
    url = asset_urls(shell(shared_server).text)[0]
    resp = request("HEAD", shared_server.url + url)
    assert resp.status_code == 200
    assert resp.content == b""
