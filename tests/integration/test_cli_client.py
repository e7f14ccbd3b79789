"""The client commands against the real server: models, versions, register,
deployments, resolve; output formats, paging, errors and exit codes."""
import datetime
import http.server
import json
import shutil
import ssl
import subprocess
import threading

import pytest
import yaml

from api_helpers import create_is, create_se
from cli_helpers import (EXIT_AUTH, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_UNREACHABLE, EXIT_USAGE,
                         expect_failure, expect_ok, run_cli)
from conftest import free_port
from helpers import expect_json, get, patch, post, unique

# The client speaks the current API; the tests check through the same one.
V1 = "/api/model_registry/v1"


def api_of(server):
    return server.url + V1


NO_MODEL = "no registered models found for name={}, externalId=: not found"


def cli(server, *args, **kw):
    return run_cli(*args, "--server", server.url, **kw)


def utc(ms):
    return datetime.datetime.fromtimestamp(int(ms) / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


def table(rows):
    """The expected table text: columns two spaces apart, no trailing spaces."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def register(server, model, version, *extra):
    return expect_ok(cli(server, "register", model, "--version", version, "--uri",
                         f"s3://bucket/{model}/{version}", "--author", "alice", *extra))


def find_model(server, name):
    return expect_json(get(api_of(server), "/registered_model", {"name": name}), 200)


def find_version(server, model, name):
    return expect_json(get(api_of(server), "/model_version",
                           {"name": name, "parentResourceId": model["id"]}), 200)


def artifacts_of(server, version):
    return expect_json(get(api_of(server), f"/model_versions/{version['id']}/artifacts"), 200)["items"]


# ---------------------------------------------------------------- register

def test_register_creates_model_version_and_artifact(server):
    result = register(server, "fraud", "v1", "--format", "onnx", "--format-version", "1.14",
                      "--description", "first cut", "--owner", "risk-team",
                      "--storage-key", "aws", "--storage-path", "fraud/v1",
                      "--service-account", "sa", "--meta", "accuracy=0.93", "--meta", "epochs=10",
                      "--meta", "prod=true", "--meta", "framework=pytorch",
                      "--meta", "build:string=007", "--meta", "ratio:double=1",
                      "--meta", "empty=")
    model = find_model(server, "fraud")
    version = find_version(server, model, "v1")
    [artifact] = artifacts_of(server, version)
    assert result.stdout == (f"registered model fraud version v1 (model id {model['id']}, "
                             f"version id {version['id']}, artifact id {artifact['id']})\n")
    assert (model["owner"], model["state"]) == ("risk-team", "LIVE")
    assert (version["author"], version["description"], version["state"]) == (
        "alice", "first cut", "LIVE")
    assert version["customProperties"] == {
        "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": 0.93},
        "epochs": {"metadataType": "MetadataIntValue", "int_value": "10"},
        "prod": {"metadataType": "MetadataBoolValue", "bool_value": True},
        "framework": {"metadataType": "MetadataStringValue", "string_value": "pytorch"},
        "build": {"metadataType": "MetadataStringValue", "string_value": "007"},
        "ratio": {"metadataType": "MetadataDoubleValue", "double_value": 1.0},
        "empty": {"metadataType": "MetadataStringValue", "string_value": ""},
    }
    # The artifact is named after the model, as the Python client names it.
    expected = {"artifactType": "model-artifact", "name": "fraud", "uri": "s3://bucket/fraud/v1",
                "state": "UNKNOWN",
                "modelFormatName": "onnx", "modelFormatVersion": "1.14", "storageKey": "aws",
                "storagePath": "fraud/v1", "serviceAccountName": "sa"}
    assert {k: artifact.get(k) for k in expected} == expected


def test_register_reuses_the_model_and_refuses_an_existing_version(server):
    register(server, "churn", "v1")
    register(server, "churn", "v2", "--owner", "ignored")
    models = expect_json(get(api_of(server), "/registered_models"), 200)["items"]
    assert [(m["name"], m.get("owner")) for m in models] == [("churn", "alice")]
    expect_failure(cli(server, "register", "churn", "--version", "v2", "--uri", "s3://other"),
                   EXIT_FAILED, "version v2 of model churn already exists")
    version = find_version(server, models[0], "v2")
    assert [a["uri"] for a in artifacts_of(server, version)] == ["s3://bucket/churn/v2"]


def test_register_json_output_has_all_three_entities(server):
    result = register(server, "m", "1", "-o", "json")
    out = json.loads(result.stdout)
    model = find_model(server, "m")
    version = find_version(server, model, "1")
    assert out == {"registeredModel": model, "modelVersion": version,
                   "modelArtifact": artifacts_of(server, version)[0]}


@pytest.mark.parametrize("meta, message", [
    ("novalue", "bad --meta 'novalue': expected KEY=VALUE or KEY:TYPE=VALUE"),
    ("=5", "bad --meta '=5': expected KEY=VALUE or KEY:TYPE=VALUE"),
    (":int=5", "bad --meta ':int=5': expected KEY=VALUE or KEY:TYPE=VALUE"),
    ("k:float=1", "bad --meta 'k:float=1': TYPE must be string, int, double or bool"),
    ("k:int=1.5", "bad --meta 'k:int=1.5': '1.5' is not an int (a 64-bit integer)"),
    ("k:int=99999999999999999999",
     "bad --meta 'k:int=99999999999999999999': '99999999999999999999' is not an int (a 64-bit "
     "integer)"),
    ("k:double=nan", "bad --meta 'k:double=nan': 'nan' is not a double (a finite decimal number)"),
    ("k:bool=yes", "bad --meta 'k:bool=yes': 'yes' is not a bool (true or false)"),
])
def test_register_bad_meta_is_a_usage_error_and_writes_nothing(server, meta, message):
    expect_failure(cli(server, "register", "m", "--version", "v", "--uri", "s3://x",
                       "--meta", meta), EXIT_USAGE, message)
    assert expect_json(get(api_of(server), "/registered_models"), 200)["items"] == []


def test_register_duplicate_meta_key_and_missing_flags(server):
    expect_failure(cli(server, "register", "m", "--version", "v", "--uri", "s3://x",
                       "--meta", "a=1", "--meta", "a:string=2"), EXIT_USAGE,
                   "--meta key 'a' is given twice")
    expect_failure(cli(server, "register", "m", "--uri", "s3://x"), EXIT_USAGE,
                   "--version is required (see --help)")
    assert expect_json(get(api_of(server), "/registered_models"), 200)["items"] == []


def test_register_server_rejection_is_the_servers_message(server):
    # The server keeps int custom properties within int32 (an upstream rule);
    # the command reports the server's message for the same request made directly.
    result = cli(server, "register", "m", "--version", "v", "--uri", "s3://x",
                 "--meta", "n=12345678901")
    model = find_model(server, "m")  # made first, as by the Python client
    direct = post(api_of(server), "/model_versions", {
        "name": "v", "registeredModelId": model["id"], "author": "x",
        "customProperties": {"n": {"metadataType": "MetadataIntValue",
                                   "int_value": "12345678901"}}})
    assert direct.status_code == 400
    expect_failure(result, EXIT_FAILED, direct.json()["message"])
    assert expect_json(get(api_of(server), "/model_versions"), 200)["items"] == []


# ---------------------------------------------------------------- models

def test_models_list_table_json_yaml(server):
    for name in ("b-model", "a-model"):
        expect_json(post(api_of(server), "/registered_models", {"name": name, "owner": "o"}), 201)
    models = expect_json(get(api_of(server), "/registered_models"), 200)["items"]
    result = expect_ok(cli(server, "models", "list"))
    assert result.stdout == table([["ID", "NAME", "STATE", "OWNER", "UPDATED (UTC)"]] + [
        [m["id"], m["name"], m["state"], "o", utc(m["lastUpdateTimeSinceEpoch"])]
        for m in models])
    assert json.loads(expect_ok(cli(server, "models", "list", "-o", "json")).stdout) == models
    assert yaml.safe_load(expect_ok(cli(server, "models", "list", "-o", "yaml")).stdout) == models


def test_models_list_pages_filters_orders_and_limits(server):
    names = [f"m{i:03d}" for i in range(230)]
    for i, name in enumerate(names):
        expect_json(post(api_of(server), "/registered_models",
                         {"name": name, "owner": "even" if i % 2 == 0 else "odd"}), 201)

    def listed(*args):
        return [m["name"] for m in json.loads(
            expect_ok(cli(server, "models", "list", "-o", "json", *args)).stdout)]

    assert listed() == names  # three pages of at most 100
    assert listed("--limit", "150") == names[:150]
    assert listed("--order-by", "CREATE_TIME", "--desc") == names[::-1]
    assert listed("--order-by", "last_update_time", "--desc", "--limit", "3") == names[:-4:-1]
    assert listed("--filter", 'owner = "odd"') == names[1::2]
    assert listed("--filter", 'owner = "odd"', "--limit", "101", "--desc") == names[::-2][:101]


def test_models_list_bad_arguments(server):
    expect_failure(cli(server, "models", "list", "--filter", "name ="), EXIT_FAILED,
                   "invalid filter query syntax: error parsing filter query: unexpected end of "
                   "query at offset 6: bad request")
    for args in (("--order-by", "name"), ("--limit", "-1"), ("-o", "xml")):
        result = cli(server, "models", "list", *args)
        assert result.returncode == EXIT_USAGE and len(result.stderr.splitlines()) == 1


def test_models_get_archive_restore(server):
    props = {"team": {"metadataType": "MetadataStringValue", "string_value": "risk"}}
    model = expect_json(post(api_of(server), "/registered_models",
                             {"name": "fraud", "owner": "alice", "description": "detects",
                              "customProperties": props}), 201)
    got = expect_ok(cli(server, "models", "get", "fraud"))
    assert got.stdout == (
        f"id:             {model['id']}\n"
        "name:           fraud\n"
        "state:          LIVE\n"
        "owner:          alice\n"
        "description:    detects\n"
        "externalId:\n"
        f"created (UTC):  {utc(model['createTimeSinceEpoch'])}\n"
        f"updated (UTC):  {utc(model['lastUpdateTimeSinceEpoch'])}\n"
        "properties:\n"
        "  team:         risk\n")
    assert json.loads(expect_ok(cli(server, "models", "get", "fraud", "-o", "json")).stdout) == \
        model
    archived = expect_ok(cli(server, "models", "archive", "fraud"))
    assert archived.stdout == f"archived model fraud (id {model['id']})\n"
    assert find_model(server, "fraud")["state"] == "ARCHIVED"
    restored = json.loads(expect_ok(cli(server, "models", "restore", "fraud", "-o", "json")).stdout)
    assert restored == find_model(server, "fraud") and restored["state"] == "LIVE"


@pytest.mark.parametrize("args", [("models", "get", "nope"), ("models", "archive", "nope"),
                                  ("models", "restore", "nope"), ("versions", "list", "nope"),
                                  ("versions", "get", "nope", "v1"),
                                  ("deployments", "nope"), ("resolve", "model-registry://nope")])
def test_unknown_model_is_exit_4_with_the_servers_message(server, args):
    expect_failure(cli(server, *args), EXIT_NOT_FOUND, NO_MODEL.format("nope"))


# ---------------------------------------------------------------- versions

def test_versions_list_get_archive_restore(server):
    register(server, "fraud", "v1", "--meta", "epochs=3", "--description", "d")
    register(server, "fraud", "v2")
    model = find_model(server, "fraud")
    versions = expect_json(get(api_of(server), f"/registered_models/{model['id']}/versions"),
                           200)["items"]
    assert expect_ok(cli(server, "versions", "list", "fraud")).stdout == table(
        [["ID", "NAME", "STATE", "AUTHOR", "CREATED (UTC)"]] +
        [[v["id"], v["name"], "LIVE", "alice", utc(v["createTimeSinceEpoch"])] for v in versions])
    assert json.loads(expect_ok(cli(server, "versions", "list", "fraud", "--desc", "-o",
                                    "json")).stdout) == versions[::-1]
    v1 = versions[0]
    [artifact] = artifacts_of(server, v1)
    assert expect_ok(cli(server, "versions", "get", "fraud", "v1")).stdout == (
        f"id:             {v1['id']}\n"
        "name:           v1\n"
        f"model:          fraud (id {model['id']})\n"
        "state:          LIVE\n"
        "author:         alice\n"
        "description:    d\n"
        "externalId:\n"
        f"created (UTC):  {utc(v1['createTimeSinceEpoch'])}\n"
        f"updated (UTC):  {utc(v1['lastUpdateTimeSinceEpoch'])}\n"
        "properties:\n"
        "  epochs:       3\n"
        "artifacts:\n"
        f"  fraud:        model-artifact {artifact['uri']}\n")
    assert yaml.safe_load(expect_ok(cli(server, "versions", "get", "fraud", "v1", "-o",
                                        "yaml")).stdout) == v1
    assert expect_ok(cli(server, "versions", "archive", "fraud", "v2")).stdout == \
        f"archived version v2 of model fraud (id {versions[1]['id']})\n"
    assert find_version(server, model, "v2")["state"] == "ARCHIVED"
    assert expect_ok(cli(server, "versions", "restore", "fraud", "v2")).stdout == \
        f"restored version v2 of model fraud (id {versions[1]['id']})\n"
    assert find_version(server, model, "v2")["state"] == "LIVE"
    expect_failure(cli(server, "versions", "get", "fraud", "v9"), EXIT_NOT_FOUND,
                   f"no model versions found for name=v9, parentResourceId={model['id']}, "
                   "externalId=: not found")
    expect_failure(cli(server, "versions", "archive", "fraud", "v9"), EXIT_NOT_FOUND,
                   f"no model versions found for name=v9, parentResourceId={model['id']}, "
                   "externalId=: not found")


# ---------------------------------------------------------------- deployments

def test_deployments_lists_services_with_state_and_environment(server):
    register(server, "fraud", "v1")
    register(server, "fraud", "v2")
    register(server, "other", "v1")
    fraud, other = find_model(server, "fraud"), find_model(server, "other")
    v1, v2 = find_version(server, fraud, "v1"), find_version(server, fraud, "v2")
    prod, staging = create_se(api_of(server), "prod"), create_se(api_of(server), "staging")
    a = create_is(api_of(server), prod["id"], fraud["id"], "fraud-a", modelVersionId=v1["id"],
                  desiredState="DEPLOYED", runtime="kserve")
    b = create_is(api_of(server), staging["id"], fraud["id"], "fraud-b", desiredState="UNDEPLOYED")
    c = create_is(api_of(server), prod["id"], fraud["id"], "fraud-c", modelVersionId=v2["id"])
    create_is(api_of(server), prod["id"], other["id"], "other-a")
    header = ["ID", "NAME", "STATE", "ENVIRONMENT", "VERSION", "RUNTIME"]
    assert expect_ok(cli(server, "deployments", "fraud")).stdout == table([
        header,
        [a["id"], "fraud-a", "DEPLOYED", "prod", "v1", "kserve"],
        [b["id"], "fraud-b", "UNDEPLOYED", "staging", "(latest)", ""],
        [c["id"], "fraud-c", c.get("desiredState", ""), "prod", "v2", ""]])
    assert json.loads(expect_ok(cli(server, "deployments", "fraud", "v1", "-o",
                                    "json")).stdout) == [a]
    assert expect_ok(cli(server, "deployments", "other", "v1")).stdout == table([header])


# ---------------------------------------------------------------- resolve

def test_resolve_version_and_latest_live(server):
    register(server, "fraud", "v1")
    register(server, "fraud", "v2")
    assert expect_ok(cli(server, "resolve", "model-registry://fraud/v1")).stdout == \
        "s3://bucket/fraud/v1\n"
    assert expect_ok(cli(server, "resolve", "model-registry://fraud")).stdout == \
        "s3://bucket/fraud/v2\n"
    expect_ok(cli(server, "versions", "archive", "fraud", "v2"))
    assert expect_ok(cli(server, "resolve", "model-registry://fraud")).stdout == \
        "s3://bucket/fraud/v1\n"
    model = find_model(server, "fraud")
    v1 = find_version(server, model, "v1")
    assert json.loads(expect_ok(cli(server, "resolve", "model-registry://fraud/v1", "-o",
                                    "json")).stdout) == artifacts_of(server, v1)[0]
    expect_ok(cli(server, "versions", "archive", "fraud", "v1"))
    expect_failure(cli(server, "resolve", "model-registry://fraud"), EXIT_NOT_FOUND,
                   "model fraud has no live version")


def test_resolve_percent_encoded_names_and_missing_artifact(server):
    register(server, "team/fraud model", "v 1")
    assert expect_ok(cli(server, "resolve", "model-registry://team%2Ffraud%20model/v%201")
                     ).stdout == "s3://bucket/team/fraud model/v 1\n"
    model = expect_json(post(api_of(server), "/registered_models", {"name": "bare"}), 201)
    expect_json(post(api_of(server), "/model_versions", {"name": "v1", "registeredModelId":
                                                     model["id"]}), 201)
    expect_failure(cli(server, "resolve", "model-registry://bare/v1"), EXIT_NOT_FOUND,
                   "version v1 of model bare has no model artifact with a URI")


@pytest.mark.parametrize("uri", ["fraud/v1", "model-registry://", "model-registry:///v1",
                                 "model-registry://fraud/", "model-registry://a/b/c",
                                 "s3://fraud/v1"])
def test_resolve_bad_uri_is_a_usage_error(server, uri):
    expect_failure(cli(server, "resolve", uri), EXIT_USAGE,
                   f"bad model URI '{uri}': expected model-registry://MODEL[/VERSION]")


def test_resolve_broken_escape(server):
    expect_failure(cli(server, "resolve", "model-registry://a%zz"), EXIT_USAGE,
                   "bad model URI 'model-registry://a%zz': broken %-escape")


# ---------------------------------------------------------------- connection

def test_unreachable_server_is_exit_3():
    url = f"http://127.0.0.1:{free_port()}"
    for args in (("models", "list"), ("register", "m", "--version", "v", "--uri", "u"),
                 ("resolve", "model-registry://m")):
        expect_failure(run_cli(*args, "--server", url), EXIT_UNREACHABLE, f"cannot connect to {url}")


def test_server_from_environment_and_flag_beats_it(server):
    expect_json(post(api_of(server), "/registered_models", {"name": "env"}), 201)
    assert "env" in expect_ok(run_cli("models", "list", env={"MR_SERVER": server.url})).stdout
    dead = f"http://127.0.0.1:{free_port()}"
    expect_failure(run_cli("models", "list", "--server", dead, env={"MR_SERVER": server.url}),
                   EXIT_UNREACHABLE, f"cannot connect to {dead}")


@pytest.mark.parametrize("args, message", [
    (("--server", "localhost:8080"),
     "bad --server URL 'localhost:8080': expected http://HOST[:PORT][/PATH] or https://..."),
    (("--server", "ftp://h"),
     "bad --server URL 'ftp://h': expected http://HOST[:PORT][/PATH] or https://..."),
    (("--server", "http://"),
     "bad --server URL 'http://': expected http://HOST[:PORT][/PATH] or https://..."),
    (("--server", "http://127.0.0.1:1", "--ca-file", "/etc/hostname"),
     "--ca-file needs an https:// server URL"),
    (("--server", "https://127.0.0.1:1", "--ca-file", "/nonexistent/ca.pem"),
     "cannot read --ca-file /nonexistent/ca.pem"),
])
def test_bad_connection_flags_are_usage_errors(args, message):
    expect_failure(run_cli("models", "list", *args), EXIT_USAGE, message)


class Stub:
    """A loopback HTTP server that records requests and answers with a fixed
    status and body."""

    def __init__(self, status=200, body=None, raw=None):
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                stub.requests.append((self.path, dict(self.headers)))
                payload = raw if raw is not None else json.dumps(
                    body if body is not None else
                    {"items": [], "size": 0, "pageSize": 0, "nextPageToken": ""}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_token_is_sent_as_bearer_from_flag_or_environment():
    with Stub() as stub:
        expect_ok(run_cli("models", "list", "--server", stub.url + "/prefix/", "--token", "s3cr3t"))
        expect_ok(run_cli("models", "list", "--server", stub.url, env={"MR_TOKEN": "from-env"}))
        expect_ok(run_cli("models", "list", "--server", stub.url))
    paths = [p for p, _ in stub.requests]
    auth = [h.get("Authorization") for _, h in stub.requests]
    assert auth == ["Bearer s3cr3t", "Bearer from-env", None]
    assert paths[0] == ("/prefix/api/model_registry/v1/registered_models?pageSize=100&"
                        "sortOrder=ASC")


@pytest.mark.parametrize("status, body, raw, code, message", [
    (401, {"code": "Unauthorized", "message": "token rejected"}, None, EXIT_AUTH,
     "token rejected"),
    (403, {"code": "Forbidden", "message": "no access to models"}, None, EXIT_AUTH,
     "no access to models"),
    (502, None, b"<html>bad gateway</html>", EXIT_FAILED, "the server answered HTTP 502"),
    (200, None, b"not json", EXIT_FAILED, "the server sent a reply that is not JSON (HTTP 200)"),
    (200, {"no": "items"}, None, EXIT_FAILED,
     "the server sent a list without items for /registered_models"),
])
def test_server_errors_are_one_line(status, body, raw, code, message):
    with Stub(status, body, raw) as stub:
        expect_failure(run_cli("models", "list", "--server", stub.url, "--token", "wrong"), code,
                       message)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_with_ca_file(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    with Stub() as stub:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        stub.httpd.socket = context.wrap_socket(stub.httpd.socket, server_side=True)
        url = stub.url.replace("http://", "https://")
        assert expect_ok(run_cli("models", "list", "--server", url, "--ca-file", cert)
                         ).stdout == "ID  NAME  STATE  OWNER  UPDATED (UTC)\n"
        expect_failure(run_cli("models", "list", "--server", url), EXIT_UNREACHABLE,
                       f"the TLS certificate of {url} is not trusted (see --ca-file)")
        not_pem = tmp_path / "not.pem"
        not_pem.write_text("not a certificate\n")
        expect_failure(run_cli("models", "list", "--server", url, "--ca-file", not_pem),
                       EXIT_USAGE, "cannot load the CA certificates (see --ca-file)")
    assert len(stub.requests) == 1


# ---------------------------------------------------------------- help

@pytest.mark.parametrize("command", [
    ("models",), ("models", "list"), ("models", "get"), ("models", "archive"),
    ("models", "restore"), ("versions",), ("versions", "list"), ("versions", "get"),
    ("versions", "archive"), ("versions", "restore"), ("register",), ("deployments",),
    ("resolve",), ("backup",), ("export",), ("import",), ("migrate",)])
def test_every_command_has_help(command):
    result = expect_ok(run_cli(*command, "--help"))
    assert f"Usage: model-registry {' '.join(command)} [OPTIONS]" in result.stdout
    assert result.stderr == ""


def test_client_help_names_the_connection_flags_and_variables():
    text = expect_ok(run_cli("models", "list", "--help")).stdout
    for flag in ("--server", "MR_SERVER", "--token", "MR_TOKEN", "--ca-file", "-o,--output",
                 "--filter", "--order-by", "--desc", "--limit"):
        assert flag in text, flag
