"""End-to-end tests of the web UI: Playwright drives Debian's chromium against the real binary on
an ephemeral loopback port, and every write made through the UI is checked through the API.

Screenshots of the main pages go to $MR_UI_SCREENSHOTS (docs/screenshots holds a committed set).
"""
import json
import os
import re
import sqlite3
import uuid

import pytest
import requests

from conftest import RegistryServer

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# Generous waits: CI shares two cores between this browser, the server and other suites.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("MR_CHROMIUM", "/usr/bin/chromium")
V1 = "/api/model_registry/v1"  # the API the UI calls (ui/js/api.js)
SHOTS = os.environ.get("MR_UI_SCREENSHOTS", "")
TAG = uuid.uuid4().hex[:6]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    srv = RegistryServer(str(tmp_path_factory.mktemp("ui") / "registry.db")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(registry):
    session = requests.Session()
    session.headers["Connection"] = "close"

    class Api:
        def get(self, path, **params):
            resp = session.get(registry.url + V1 + path, params=params, timeout=10)
            assert resp.status_code == 200, resp.text
            return resp.json()

        def post(self, path, body):
            resp = session.post(registry.url + V1 + path, json=body, timeout=10)
            assert resp.status_code in (200, 201), resp.text
            return resp.json()

    yield Api()
    session.close()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-deps.sh --with-test-tools")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, registry):
    context = browser.new_context(base_url=registry.url, viewport={"width": 1280, "height": 860},
                                  color_scheme="light")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # The shell's Content-Security-Policy refusing something shows up only on the console.
    pg.on("console", lambda m: errors.append(m.text) if "Refused to" in m.text else None)
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


def shot(page, name, full_page=True):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full_page)


def sv(v):
    return {"metadataType": "MetadataStringValue", "string_value": v}


def dv(v):
    return {"metadataType": "MetadataDoubleValue", "double_value": v}


def add_property(scope, name, type_label, value):
    scope.get_by_role("button", name="+ Add property").click()
    row = scope.locator(".prop-row").last
    row.get_by_label("Property name").fill(name)
    row.get_by_label("Property type").select_option(label=type_label)
    value_box = row.get_by_label(re.compile("^Property value"))
    if type_label == "Boolean":
        value_box.select_option(value)
    else:
        value_box.fill(value)


def rows(page):
    return page.locator(".results table tbody tr")


# ---------------------------------------------------------------- the main journey

def test_register_find_compare_archive_restore(page, api):
    model_name = f"fraud-{TAG}"
    writes = []
    page.on("request", lambda r: writes.append(r) if r.method in ("POST", "PATCH") else None)

    # Register: the form validates before it sends anything.
    page.goto("/models/new")
    expect(page.get_by_role("heading", name="Register a model")).to_be_visible()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Give the model a name.")).to_be_visible()
    page.get_by_label("Model name (required)").fill(model_name)
    page.get_by_label("Owner").fill("risk-team")
    page.get_by_label("Version name").fill(f"{model_name}-v1")
    first_version = page.locator("fieldset", has=page.get_by_text("First version", exact=True))
    add_property(first_version, "epochs", "Integer", "ten")
    page.get_by_label("Model location (URI)").fill("models/no-scheme")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Enter a whole number of at most 9 digits.")).to_be_visible()
    expect(page.get_by_text("Start the URI with a scheme")).to_be_visible()
    assert writes == [], "an invalid form must not send anything"
    first_version.locator(".prop-row").last.get_by_label("Property value").fill("10")
    add_property(first_version, "accuracy", "Number", "0.91")
    add_property(first_version, "stage", "Text", "candidate")
    add_property(first_version, "quantized", "Boolean", "false")
    page.get_by_label("Model location (URI)").fill(f"s3://models/{model_name}/v1")
    page.get_by_label("Format", exact=True).fill("onnx")
    page.get_by_label("Storage key").fill("aws-models")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/models/\d+/versions/\d+$"))
    expect(page.locator("h1")).to_contain_text(model_name)

    assert writes and all(f"{V1}/" in r.url for r in writes), [r.url for r in writes]
    model = api.get("/registered_model", name=model_name)
    assert model["owner"] == "risk-team"
    v1 = api.get("/model_version", name=f"{model_name}-v1", parentResourceId=model["id"])
    assert v1["customProperties"] == {
        "epochs": {"metadataType": "MetadataIntValue", "int_value": "10"},
        "accuracy": dv(0.91), "stage": sv("candidate"),
        "quantized": {"metadataType": "MetadataBoolValue", "bool_value": False}}
    artifacts = api.get(f"/model_versions/{v1['id']}/artifacts")["items"]
    assert [(a["uri"], a.get("modelFormatName"), a.get("storageKey")) for a in artifacts] == [
        (f"s3://models/{model_name}/v1", "onnx", "aws-models")]

    # The version page shows the typed properties and the artifact.
    props = page.locator("table.props")
    expect(props.locator("tr", has_text="accuracy")).to_contain_text("Number")
    expect(props.locator("tr", has_text="epochs")).to_contain_text("Integer")
    expect(props.locator("tr", has_text="quantized").locator(".bool")).to_have_text("false")
    expect(page.locator(".card code.uri")).to_have_text(f"s3://models/{model_name}/v1")

    # A second version through the model page.
    page.get_by_role("link", name=model_name).first.click()
    page.get_by_role("link", name="Register version").click()
    page.get_by_label("Version name (required)").fill(f"{model_name}-v2")
    page.get_by_label("Author").fill("dana")
    add_property(page, "accuracy", "Number", "0.95")
    add_property(page, "stage", "Text", "production")
    add_property(page, "hyperparameters", "JSON object", '{"layers": 4, "lr": 0.002}')
    page.get_by_label("Model location (URI)").fill(f"s3://models/{model_name}/v2")
    page.get_by_role("button", name="Register version").click()
    expect(page.locator("h1")).to_contain_text(f"{model_name}-v2")
    v2 = api.get("/model_version", name=f"{model_name}-v2", parentResourceId=model["id"])
    assert v2["author"] == "dana"
    assert json.loads(v2["customProperties"]["hyperparameters"]["struct_value"]) == {
        "layers": 4, "lr": 0.002}
    expect(page.locator("table.props pre.struct")).to_contain_text('"layers": 4')

    page.get_by_role("link", name=f"Compare with {model_name}-v1").click()
    expect(page).to_have_url(re.compile(rf"/compare\?versions={v1['id']},{v2['id']}$"))

    # Find the version by name search ...
    page.get_by_role("link", name="Versions", exact=True).click()
    page.get_by_label("Name").fill(f"{TAG}-v2")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"{model_name}-v2")
    expect(rows(page).first).to_contain_text(model_name)
    # ... and by a custom-property filter (numeric and text), which survives a reload.
    page.get_by_label("Name").fill("")
    page.get_by_text("Custom property filters").click()
    page.get_by_role("button", name="+ Add property filter").click()
    page.get_by_label("Custom property name").fill("accuracy")
    page.get_by_label("Comparison").select_option(">=")
    page.get_by_label("Value", exact=True).fill("0.93")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"{model_name}-v2")
    expect(page.locator("code.query-preview")).to_have_text("accuracy >= 0.93")
    page.get_by_label("Comparison").select_option("=")
    page.get_by_label("Custom property name").fill("stage")
    page.get_by_label("Value", exact=True).fill("candidate")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"{model_name}-v1")
    page.reload()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"{model_name}-v1")
    expect(page.get_by_label("Custom property name")).to_have_value("stage")

    # Compare the two versions from the model page.
    page.goto(f"/models/{model['id']}")
    page.get_by_label(f"Select {model_name}-v1 to compare").check()
    page.get_by_label(f"Select {model_name}-v2 to compare").check()
    page.get_by_role("button", name="Compare selected (2)").click()
    expect(page).to_have_url(re.compile(rf"/compare\?versions=({v1['id']},{v2['id']}|{v2['id']},{v1['id']})$"))
    table = page.locator("table.compare")
    accuracy = table.locator("tr", has=page.locator("th", has_text=re.compile("^accuracy")))
    expect(accuracy).to_have_class(re.compile("differs"))
    expect(accuracy).to_contain_text("0.91")
    expect(accuracy).to_contain_text("0.95")
    expect(accuracy.locator(".delta")).to_have_text(re.compile(r"[+−]0\.04"))
    expect(table.locator("tr", has=page.locator("th", has_text=re.compile("^Model$")))).to_have_class("same")
    expect(table.locator("tr", has=page.locator("th", has_text=re.compile("^hyperparameters")))).to_have_class(re.compile("differs"))
    page.get_by_label("Show only differences").check()
    expect(table.locator("tr.same").first).to_be_hidden()

    # Archive (cancel first, then confirm) and restore, checking the API each time.
    page.goto(f"/models/{model['id']}/versions/{v1['id']}")
    page.get_by_role("button", name="Archive").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Archive version {model_name}-v1?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert api.get(f"/model_versions/{v1['id']}")["state"] == "LIVE"
    page.get_by_role("button", name="Archive").click()
    page.get_by_role("dialog").get_by_role("button", name="Archive").click()
    expect(page.locator("h1 .badge")).to_have_text("Archived")
    assert api.get(f"/model_versions/{v1['id']}")["state"] == "ARCHIVED"
    page.get_by_role("button", name="Restore").click()
    page.get_by_role("dialog").get_by_role("button", name="Restore").click()
    expect(page.locator("h1 .badge")).to_have_text("Live")
    assert api.get(f"/model_versions/{v1['id']}")["state"] == "LIVE"

    # The model too; the list's state filter then finds it.
    page.goto(f"/models/{model['id']}")
    page.get_by_role("button", name="Archive").click()
    page.get_by_role("dialog").get_by_role("button", name="Archive").click()
    expect(page.locator("h1 .badge")).to_have_text("Archived")
    assert api.get(f"/registered_models/{model['id']}")["state"] == "ARCHIVED"
    page.goto("/models?state=ARCHIVED")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(model_name)
    rows(page).first.get_by_role("link", name=model_name).click()
    page.get_by_role("button", name="Restore").click()
    page.get_by_role("dialog").get_by_role("button", name="Restore").click()
    expect(page.locator("h1 .badge")).to_have_text("Live")
    assert api.get(f"/registered_models/{model['id']}")["state"] == "LIVE"

    # Edit the description and custom properties; untouched properties keep their types.
    page.goto(f"/models/{model['id']}/versions/{v1['id']}")
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Description").fill("Approved by risk review.")
    add_property(dialog, "reviewed", "Boolean", "true")
    names = dialog.locator(".prop-row .prop-name").evaluate_all("els => els.map((e) => e.value)")
    stage_row = dialog.locator(".prop-row").nth(names.index("stage"))
    stage_row.get_by_role("button", name="Remove property").click()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".lead")).to_have_text("Approved by risk review.")
    edited = api.get(f"/model_versions/{v1['id']}")
    assert edited["description"] == "Approved by risk review."
    assert edited["state"] == "LIVE"
    assert edited["customProperties"] == {
        "epochs": {"metadataType": "MetadataIntValue", "int_value": "10"},
        "accuracy": dv(0.91),
        "quantized": {"metadataType": "MetadataBoolValue", "bool_value": False},
        "reviewed": {"metadataType": "MetadataBoolValue", "bool_value": True}}


def test_compare_offers_the_previous_version_created_in_the_same_millisecond(browser, tmp_path):
    """Two versions registered within one millisecond share a create time; the newer one's page
    still offers to compare with the older one (the id breaks the tie), and not the reverse."""
    srv = RegistryServer(str(tmp_path / "same-ms.db")).start()
    try:
        base = srv.url + V1
        model = requests.post(base + "/registered_models", json={"name": "same-ms"},
                              timeout=10).json()
        versions = [requests.post(base + "/model_versions", timeout=10, json={
            "name": name, "registeredModelId": model["id"]}).json() for name in ("first", "second")]
    finally:
        srv.stop()
    with sqlite3.connect(srv.db_file) as db:  # the same millisecond, made certain
        db.execute("UPDATE context SET create_time = 1764460800000 WHERE id IN (?, ?)",
                   tuple(int(v["id"]) for v in versions))
    db.close()
    srv.start()
    context = browser.new_context(base_url=srv.url)
    context.set_default_timeout(15_000)
    try:
        pg = context.new_page()
        first, second = versions
        pg.goto(f"/models/{model['id']}/versions/{second['id']}")
        expect(pg.get_by_role("link", name="Compare with first")).to_have_attribute(
            "href", f"/compare?versions={first['id']},{second['id']}")
        pg.goto(f"/models/{model['id']}/versions/{first['id']}")
        expect(pg.locator("h1")).to_contain_text("first")
        expect(pg.get_by_role("link", name=re.compile("^Compare with"))).to_have_count(0)
    finally:
        context.close()
        srv.stop()


def test_the_api_error_is_shown_in_words(page, api):
    api.post("/registered_models", {"name": f"taken-{TAG}"})
    page.goto("/models/new")
    page.get_by_label("Model name (required)").fill(f"taken-{TAG}")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Conflict.")
    expect(page.get_by_role("alert")).to_contain_text("already exists")

    page.goto("/models/2147483")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("no registered model found for id 2147483", re.I))

    page.goto("/models")
    page.get_by_text("Custom property filters").click()
    page.get_by_label("Filter query").fill("accuracy >>> 3")
    expect(page.get_by_role("alert")).to_contain_text("The server could not use this filter.")
    expect(page.get_by_role("alert")).to_contain_text("Invalid filter query syntax")


def test_paging_through_a_thousand_models(page, api, registry):
    session = requests.Session()
    for i in range(1000):
        resp = session.post(registry.url + V1 + "/registered_models",
                            json={"name": f"bulk-{TAG}-{i:04d}", "owner": "bulk"}, timeout=10)
        assert resp.status_code == 201
    session.close()
    page.goto("/models?person=bulk&orderBy=ID&sortOrder=ASC&pageSize=100")
    expect(rows(page)).to_have_count(100)
    expect(rows(page).first).to_contain_text(f"bulk-{TAG}-0000")
    seen = []
    for number in range(1, 11):
        expect(page.locator(".page-info")).to_contain_text(f"Page {number} ·")
        expect(rows(page)).to_have_count(100)
        expect(rows(page).first).to_contain_text(f"bulk-{TAG}-{(number - 1) * 100:04d}")
        seen += rows(page).locator("th").all_inner_texts()
        if number < 10:
            page.get_by_role("button", name="Next →").click()
    assert sorted(seen) == [f"bulk-{TAG}-{i:04d}" for i in range(1000)]
    expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    page.get_by_role("button", name="← Previous").click()
    expect(page.locator(".page-info")).to_contain_text("Page 9 · 801–900")
    expect(rows(page).first).to_contain_text(f"bulk-{TAG}-0800")


def test_deployments_show_what_each_service_serves(page, api):
    model = api.post("/registered_models", {"name": f"served-{TAG}"})
    version = api.post("/model_versions", {"name": "v7", "registeredModelId": model["id"]})
    env = api.post("/serving_environments", {"name": f"prod-{TAG}", "description": "Production cluster"})
    api.post("/inference_services", {"name": f"served-{TAG}-isvc", "servingEnvironmentId": env["id"],
                                     "registeredModelId": model["id"], "modelVersionId": version["id"],
                                     "runtime": "kserve-onnx", "desiredState": "DEPLOYED"})
    page.goto("/deployments")
    section = page.locator(f"#env-{env['id']}")
    row = section.locator("tr", has_text=f"served-{TAG}-isvc")
    expect(row).to_contain_text(f"served-{TAG}")
    expect(row.get_by_role("link", name="v7")).to_have_attribute(
        "href", f"/models/{model['id']}/versions/{version['id']}")
    row.get_by_role("link", name="v7").click()
    served_by = page.locator("section", has=page.get_by_role("heading", name="Served by"))
    expect(served_by).to_contain_text(f"served-{TAG}-isvc")
    expect(served_by).to_contain_text(f"prod-{TAG}")
    page.get_by_role("link", name=f"served-{TAG}").first.click()
    deployed = page.locator("section", has=page.get_by_role("heading", name="Deployments"))
    expect(deployed.locator("tr", has_text=f"served-{TAG}-isvc").get_by_role("link", name="v7")).to_be_visible()


# ---------------------------------------------------------------- authentication

TOKEN = "s3cret-token"


def require_token(route):
    """Stands in for an authenticating server: the registry itself has no authentication yet."""
    if route.request.headers.get("authorization") == f"Bearer {TOKEN}":
        route.continue_()
    else:
        route.fulfill(status=401, content_type="application/json",
                      body=json.dumps({"code": "Unauthorized", "message": "missing or invalid token"}))


def test_token_is_asked_for_on_401_and_kept_for_the_session(browser, registry):
    context = browser.new_context(base_url=registry.url)
    context.set_default_timeout(15_000)
    seen = []
    context.route("**/api/model_registry/**", lambda route: (seen.append(route.request.headers.get("authorization")), require_token(route)))
    page = context.new_page()
    page.goto("/models")
    dialog = page.get_by_role("dialog", name="Sign in to the model registry")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Access token").fill("wrong")
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_contain_text("did not accept the token")
    dialog.get_by_label("Access token").fill(TOKEN)
    dialog.get_by_role("button", name="Sign in").click()
    expect(page.locator(".results table")).to_be_visible()
    assert f"Bearer {TOKEN}" in seen and "Bearer wrong" in seen
    assert page.evaluate("sessionStorage.getItem('model-registry.token')") == TOKEN
    assert page.evaluate("localStorage.length") == 0

    # A reload in the same tab keeps the token; no prompt.
    page.reload()
    expect(page.locator(".results table")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # "Forget token" drops it; the next request asks again, and cancelling says why in words.
    page.get_by_role("button", name="Forget token").click()
    dialog = page.get_by_role("dialog", name="Sign in to the model registry")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in required.")
    assert page.evaluate("sessionStorage.getItem('model-registry.token')") is None
    context.close()

    # Another session (a new context, like a new browser session) starts without a token.
    other = browser.new_context(base_url=registry.url)
    other.route("**/api/model_registry/**", require_token)
    page = other.new_page()
    page.goto("/models")
    expect(page.get_by_role("dialog", name="Sign in to the model registry")).to_be_visible()
    other.close()


def test_sign_in_against_a_server_with_authentication_on(browser, tmp_path):
    """The same flow against the real server's 401s (serve --auth-tokens-file)."""
    import subprocess
    from conftest import binary_path
    tokens_file = str(tmp_path / "tokens")
    token = subprocess.run([binary_path(), "token", "new", "reviewer", "--role", "read", "--file",
                            tokens_file], capture_output=True, text=True, timeout=20,
                           check=True).stdout.strip()
    srv = RegistryServer(str(tmp_path / "secured.db"),
                         extra_args=["--auth-tokens-file", tokens_file]).start()
    try:
        name = f"secured-{TAG}"
        writer = subprocess.run([binary_path(), "token", "new", "seed", "--role", "write",
                                 "--file", tokens_file], capture_output=True, text=True,
                                timeout=20, check=True).stdout.strip()
        import signal
        srv.proc.send_signal(signal.SIGHUP)
        headers = {"Authorization": f"Bearer {writer}", "Connection": "close"}
        for _ in range(50):
            resp = requests.post(srv.url + V1 + "/registered_models", json={"name": name},
                                 headers=headers, timeout=10)
            if resp.status_code == 201:
                break
            import time
            time.sleep(0.1)
        assert resp.status_code == 201, resp.text
        context = browser.new_context(base_url=srv.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/models")  # the shell and its assets load without a token
        dialog = page.get_by_role("dialog", name="Sign in to the model registry")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Access token").fill("mrt_" + "0" * 64)
        dialog.get_by_role("button", name="Sign in").click()
        expect(dialog).to_contain_text("did not accept the token")
        dialog.get_by_label("Access token").fill(token)
        dialog.get_by_role("button", name="Sign in").click()
        expect(page.locator(".results table")).to_contain_text(name)
        assert page.evaluate("sessionStorage.getItem('model-registry.token')") == token
        context.close()
    finally:
        srv.stop()


# ---------------------------------------------------------------- product qualities

def test_controls_are_labelled_and_focus_is_visible(page, api):
    model = api.post("/registered_models", {"name": f"a11y-{TAG}"})
    version = api.post("/model_versions", {"name": "v1", "registeredModelId": model["id"]})
    for path in ["/models", "/versions", "/models/new", f"/models/{model['id']}",
                 f"/models/{model['id']}/versions/new"]:
        page.goto(path)
        page.locator("h1").wait_for()
        page.wait_for_load_state("networkidle")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
            .map((el) => el.outerHTML)""")
        assert unlabelled == [], f"{path}: {unlabelled}"
    page.goto(f"/models/{model['id']}/versions/{version['id']}")
    page.locator("h1").wait_for()
    # The page renders again when its artifacts and services arrive; a button focused before
    # that is replaced, and Enter on it would do nothing.
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Archive")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline not in ("", "0px")
    page.keyboard.press("Enter")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Archive":
            break
    assert page.evaluate("document.activeElement.textContent") == "Archive"
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_has_no_sideways_scroll(browser, registry, api, scheme):
    model = api.post("/registered_models", {"name": f"phone-{scheme}-{TAG}", "owner": "pat",
                                             "customProperties": {"framework": sv("onnx")}})
    version = api.post("/model_versions", {"name": "v1", "registeredModelId": model["id"],
                                           "customProperties": {"accuracy": dv(0.9)}})
    context = browser.new_context(base_url=registry.url, viewport={"width": 390, "height": 844},
                                  color_scheme=scheme, is_mobile=True)
    page = context.new_page()
    for path in ["/models", f"/models/{model['id']}/versions/{version['id']}", "/models/new"]:
        page.goto(path)
        page.locator("h1").wait_for()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(15, 17, 21)") == (scheme == "dark")
    context.close()


# ---------------------------------------------------------------- screenshots

def seed_demo(api):
    """A small, realistic registry for the screenshots."""
    envs = [api.post("/serving_environments", {"name": "production", "description": "The production KServe cluster"}),
            api.post("/serving_environments", {"name": "staging", "description": "Pre-release checks"})]
    owners = ["alice", "bob", "carol"]
    models = [("fraud-detector", "xgboost", "risk"), ("churn-predictor", "sklearn", "growth"),
              ("mnist-classifier", "pytorch", "research"), ("sentiment-bert", "transformers", "support"),
              ("demand-forecast", "prophet", "supply")]
    out = []
    for n, (name, framework, team) in enumerate(models):
        model = api.post("/registered_models", {
            "name": name, "owner": owners[n % 3],
            "description": f"Scores {name.split('-')[0]} risk from live signals; owned by the {team} team.",
            "customProperties": {"framework": sv(framework), "team": sv(team)}})
        versions = []
        for k in range(1, 4):
            version = api.post("/model_versions", {
                "name": f"v{k}", "registeredModelId": model["id"], "author": owners[(n + k) % 3],
                "description": f"Retrained on data up to 2026-0{k}.",
                "customProperties": {
                    "accuracy": dv(round(0.86 + 0.03 * k + 0.005 * n, 4)), "f1": dv(round(0.8 + 0.025 * k, 4)),
                    "epochs": {"metadataType": "MetadataIntValue", "int_value": str(10 * k)},
                    "quantized": {"metadataType": "MetadataBoolValue", "bool_value": k == 3},
                    "dataset": sv(f"s3://data/{name}/2026-0{k}")}})
            api.post(f"/model_versions/{version['id']}/artifacts", {
                "artifactType": "model-artifact", "name": f"{name}-v{k}",
                "uri": f"s3://models/{name}/v{k}/model.onnx", "modelFormatName": "onnx",
                "modelFormatVersion": "1", "storageKey": "aws-connection-models"})
            versions.append(version)
        api.post("/inference_services", {"name": f"{name}-prod", "servingEnvironmentId": envs[0]["id"],
                                         "registeredModelId": model["id"], "modelVersionId": versions[-1]["id"],
                                         "runtime": "kserve-onnx", "desiredState": "DEPLOYED"})
        if n < 2:
            api.post("/inference_services", {"name": f"{name}-canary", "servingEnvironmentId": envs[1]["id"],
                                             "registeredModelId": model["id"], "runtime": "kserve-onnx",
                                             "desiredState": "UNDEPLOYED"})
        out.append((model, versions))
    return out


def test_screenshots_of_the_main_pages(browser, tmp_path):
    if not SHOTS:
        pytest.skip("MR_UI_SCREENSHOTS is not set")
    srv = RegistryServer(str(tmp_path / "demo.db")).start()
    try:
        session = requests.Session()

        class Api:
            def post(self, path, body):
                resp = session.post(srv.url + V1 + path, json=body, timeout=10)
                assert resp.status_code in (200, 201), resp.text
                return resp.json()

        (model, versions), *_ = seed_demo(Api())
        session.close()
        for scheme, width, pages in [
                ("light", 1280, [("models", "/models"), ("model", f"/models/{model['id']}"),
                                 ("version", f"/models/{model['id']}/versions/{versions[-1]['id']}"),
                                 ("compare", "/compare?versions=" + ",".join(v["id"] for v in versions)),
                                 ("deployments", "/deployments"), ("register", "/models/new")]),
                ("dark", 390, [("version-phone-dark", f"/models/{model['id']}/versions/{versions[-1]['id']}")])]:
            context = browser.new_context(base_url=srv.url, viewport={"width": width, "height": 800},
                                          color_scheme=scheme, is_mobile=width < 500)
            page = context.new_page()
            for name, path in pages:
                page.goto(path)
                page.locator("h1").wait_for()
                page.wait_for_load_state("networkidle")
                page.locator("h1").evaluate("(el) => el.blur()")
                shot(page, name)
                assert os.path.getsize(os.path.join(SHOTS, f"{name}.png")) > 10_000
            context.close()
    finally:
        srv.stop()
