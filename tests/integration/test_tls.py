"""HTTPS with --tls-cert/--tls-key (issue 11; docs/OPERATIONS.md, "TLS"): a test CA and a server
certificate for 127.0.0.1 and localhost are made with the openssl command (tests/conftest.py,
TlsFiles). Clients that trust the CA are served; others fail verification; TLS 1.1 and plain HTTP
get no answer; start-up refuses bad files with one line; the front door's deadlines, metrics and
SIGTERM hold on a TLS port; SIGHUP reloads the files; `healthcheck` and the command line client
speak HTTPS."""
import functools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import robust_helpers
from cli_helpers import EXIT_UNREACHABLE, EXIT_USAGE, expect_failure, expect_ok, run_cli
from conftest import API, RegistryServer, TlsFiles, binary_path

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

V1 = "/api/model_registry/v1"
TIMEOUT = 10
read_until_closed = functools.partial(robust_helpers.read_until_closed, limit=TIMEOUT)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, tls_files):
    """A TLS server whose clients have 2 s from accept to a complete request head."""
    db = str(tmp_path_factory.mktemp("tls") / "registry.db")
    srv = RegistryServer(db, extra_args=["--header-timeout", "2"], tls=tls_files).start()
    yield srv
    assert srv.stop() == 0


def tls_context(ca):
    return ssl.create_default_context(cafile=ca)


def open_tls(port, ca, server_hostname="127.0.0.1"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return tls_context(ca).wrap_socket(sock, server_hostname=server_hostname)


def metric(url, ca, name):
    text = requests.get(url + "/metrics", verify=ca, timeout=TIMEOUT,
                        headers={"Connection": "close"}).text
    for family in text_string_to_metric_families(text):
        if family.name == name:
            return family.samples[0].value
    raise AssertionError(f"no {name} in /metrics")


# ---------------------------------------------------------------- serving and verification

def test_https_serves_clients_that_trust_the_ca(tls_server, tls_files):
    created = requests.post(tls_server.url + V1 + "/registered_models",
                            json={"name": "over-tls"}, verify=tls_files.ca, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    for host in ("127.0.0.1", "localhost"):
        url = f"https://{host}:{tls_server.port}{V1}/registered_models/{created.json()['id']}"
        got = requests.get(url, verify=tls_files.ca, timeout=TIMEOUT)
        assert got.status_code == 200 and got.json()["name"] == "over-tls"
    # The deprecated API and the health check are on the same port.
    assert requests.get(tls_server.url + API + "/registered_models", verify=tls_files.ca,
                        timeout=TIMEOUT).status_code == 200


def test_a_wrong_ca_or_the_system_cas_fail_verification(tls_server, tmp_path):
    other = TlsFiles(tmp_path / "other")
    for verify in (other.ca, True):
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            requests.get(tls_server.url + V1 + "/registered_models", verify=verify,
                         timeout=TIMEOUT)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_are_accepted(tls_server, tls_files, version):
    context = tls_context(tls_files.ca)
    context.minimum_version = context.maximum_version = version
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            assert sock.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                      ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
            sock.sendall(b"GET " + V1.encode() + b"/registered_models HTTP/1.1\r\n"
                         b"Host: x\r\nConnection: close\r\n\r\n")
            assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_a_tls_1_1_client_fails_the_handshake(tls_server, tls_files):
    context = tls_context(tls_files.ca)
    # Security level 0 lets this OpenSSL offer TLS 1.1 at all; the server must refuse it.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=TIMEOUT) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname="127.0.0.1")
    # The server's protocol_version alert, not a client that could not offer TLS 1.1.
    assert refused.value.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"), \
        refused.value


def test_plain_http_on_the_tls_port_gets_no_http_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET " + V1.encode() + b"/registered_models HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"HTTP/" not in read_until_closed(sock)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_server.port}{V1}/registered_models",
                     timeout=TIMEOUT)


# ---------------------------------------------------------------- the front door on a TLS port

@pytest.mark.parametrize("sent", [b"", b"\x16\x03\x01\x02\x00\x01"],
                         ids=["nothing", "half-a-client-hello"])
def test_an_unfinished_handshake_is_dropped_at_the_header_deadline(tls_server, sent):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=TIMEOUT) as sock:
        sock.sendall(sent)
        assert b"HTTP/" not in read_until_closed(sock)


def test_a_finished_handshake_without_a_request_is_dropped_too(tls_server, tls_files):
    with open_tls(tls_server.port, tls_files.ca) as sock:
        assert read_until_closed(sock) == b""


def test_a_half_request_line_gets_408_over_tls_too(tls_server, tls_files):
    with open_tls(tls_server.port, tls_files.ca) as sock:
        sock.sendall(f"GET {V1}/regis".encode())
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    assert b"\r\nConnection: close\r\n" in answer


def test_a_refused_body_still_gets_its_answer(tls_server, tls_files):
    """413 as soon as the body crosses --max-body-kib (1 MiB), while the client goes on sending:
    the server reads and discards the rest instead of resetting the connection first."""
    with open_tls(tls_server.port, tls_files.ca) as sock:
        sock.sendall(f"POST {V1}/registered_models HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/json\r\nContent-Length: 3000000\r\n\r\n".encode())
        try:
            for _ in range(150):
                sock.sendall(b"x" * 10000)
        except (ConnectionError, ssl.SSLError):
            pass  # the server has answered and closed
        assert read_until_closed(sock).startswith(b"HTTP/1.1 413 ")


def test_open_connections_metric_counts_tls_connections(tls_server, tls_files):
    name = "model_registry_http_open_connections"
    before = metric(tls_server.url, tls_files.ca, name)
    held = [open_tls(tls_server.port, tls_files.ca) for _ in range(3)]
    try:
        assert metric(tls_server.url, tls_files.ca, name) >= before + 3
    finally:
        for sock in held:
            sock.close()


def test_sigterm_exits_with_tls_connections_open(tmp_path, tls_files):
    srv = RegistryServer(str(tmp_path / "r.db"), tls=tls_files, extra_args=[
        "--header-timeout", "120", "--keep-alive-timeout", "120", "--read-timeout", "120"]).start()
    held = []
    try:
        held.append(open_tls(srv.port, tls_files.ca))  # handshake done, no request
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        raw.sendall(b"\x16\x03\x01")  # a handshake begun
        held.append(raw)
        session = requests.Session()
        assert session.get(srv.api + "/registered_models", verify=tls_files.ca,
                           timeout=TIMEOUT).status_code == 200  # an idle keep-alive connection
        srv.proc.send_signal(signal.SIGTERM)
        # Without the stop, these connections would be kept for 120 s.
        assert srv.proc.wait(timeout=5) == 0
        session.close()
    finally:
        for sock in held:
            sock.close()
        srv.stop()


# ---------------------------------------------------------------- start-up

def serve_fails(tmp_path, *args, env=None):
    out = subprocess.run([binary_path(), "serve", "--port", "0", "--db-file",
                          str(tmp_path / "r.db"), *args], capture_output=True, text=True,
                         timeout=20, env=dict(os.environ, **(env or {})))
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert out.stderr.count("\n") == 1, out.stderr
    return out.stderr


def test_bad_tls_files_refuse_to_start_with_one_line(tmp_path, tls_files):
    other = TlsFiles(tmp_path / "other")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    both = "model-registry: --tls-cert and --tls-key go together: give both\n"
    assert serve_fails(tmp_path, "--tls-cert", tls_files.cert) == both
    assert serve_fails(tmp_path, "--tls-key", tls_files.key) == both
    assert serve_fails(tmp_path, env={"MR_TLS_CERT": tls_files.cert}) == both
    missing = str(tmp_path / "absent.pem")
    assert serve_fails(tmp_path, "--tls-cert", missing, "--tls-key", tls_files.key) == (
        f"model-registry: --tls-cert: cannot read {missing}: No such file or directory\n")
    assert serve_fails(tmp_path, "--tls-cert", tls_files.cert, "--tls-key", str(tmp_path)) == (
        f"model-registry: --tls-key: cannot read {tmp_path}: Is a directory\n")
    assert serve_fails(tmp_path, "--tls-cert", str(not_pem), "--tls-key", tls_files.key) == (
        f"model-registry: --tls-cert: no PEM certificate in {not_pem}\n")
    assert serve_fails(tmp_path, "--tls-cert", tls_files.cert, "--tls-key", str(not_pem)) == (
        f"model-registry: --tls-key: no unencrypted PEM private key in {not_pem}\n")
    assert serve_fails(tmp_path, "--tls-cert", tls_files.cert, "--tls-key", other.key) == (
        f"model-registry: --tls-key: the key in {other.key} does not belong to the certificate "
        f"in {tls_files.cert}\n")


def test_environment_variables_turn_tls_on(tmp_path, tls_files):
    srv = RegistryServer(str(tmp_path / "r.db"),
                         env={"MR_TLS_CERT": tls_files.cert, "MR_TLS_KEY": tls_files.key})
    srv.url = srv.url.replace("http://", "https://")
    srv.api, srv.verify = srv.url + API, tls_files.ca
    srv.start()
    try:
        assert requests.get(srv.url + V1 + "/registered_models", verify=tls_files.ca,
                            timeout=TIMEOUT).status_code == 200
        with open(srv.log_path) as log:
            assert f"listening on https://127.0.0.1:{srv.port}" in log.read()
    finally:
        assert srv.stop() == 0


def trusted_by(url, ca):
    try:
        requests.get(url + "/readyz/health", verify=ca, timeout=TIMEOUT,
                     headers={"Connection": "close"})
        return True
    except requests.exceptions.SSLError:
        return False


def test_sighup_reloads_the_certificate_and_keeps_it_when_the_files_are_bad(tmp_path):
    first, second = TlsFiles(tmp_path / "first"), TlsFiles(tmp_path / "second")
    live = TlsFiles.__new__(TlsFiles)  # the files the server reads, replaced below
    live.ca, live.cert, live.key = first.ca, str(tmp_path / "live.pem"), str(tmp_path / "live.key")
    shutil.copy(first.cert, live.cert)
    shutil.copy(first.key, live.key)
    srv = RegistryServer(str(tmp_path / "r.db"), tls=live).start()
    try:
        assert trusted_by(srv.url, first.ca) and not trusted_by(srv.url, second.ca)
        shutil.copy(second.cert, live.cert)
        shutil.copy(second.key, live.key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while not trusted_by(srv.url, second.ca) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert trusted_by(srv.url, second.ca) and not trusted_by(srv.url, first.ca)
        # A key that does not match: the reload fails, the second certificate stays.
        shutil.copy(first.key, live.key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with open(srv.log_path) as log:
                if "kept the old TLS files" in log.read():
                    break
            time.sleep(0.1)
        with open(srv.log_path) as log:
            text = log.read()
        assert "reloaded the TLS certificate and key" in text
        assert "kept the old TLS files" in text and "does not belong to the certificate" in text
        assert trusted_by(srv.url, second.ca)
    finally:
        assert srv.stop() == 0


# ---------------------------------------------------------------- the binary's own clients

def healthcheck(port, *args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MR_") or k == "MR_BINARY"}
    return subprocess.run([binary_path(), "healthcheck", "--port", str(port), *args],
                          capture_output=True, text=True, timeout=20,
                          env=dict(base, **(env or {})))


def test_healthcheck_speaks_https(tls_server, tls_files, tmp_path):
    for args, env in ((("--tls",), None), (("--ca-file", tls_files.ca), None),
                      ((), {"MR_TLS_CERT": tls_files.cert})):
        ok = healthcheck(tls_server.port, *args, env=env)
        assert (ok.returncode, ok.stdout, ok.stderr) == (0, "ok\n", ""), args
    wrong_ca = healthcheck(tls_server.port, "--ca-file", TlsFiles(tmp_path / "other").ca)
    assert wrong_ca.returncode == EXIT_UNREACHABLE and "cannot reach" in wrong_ca.stderr
    plain = healthcheck(tls_server.port)
    assert plain.returncode == EXIT_UNREACHABLE and "cannot reach" in plain.stderr
    turned_off = healthcheck(tls_server.port, "--no-tls", env={"MR_TLS_CERT": tls_files.cert})
    assert turned_off.returncode == EXIT_UNREACHABLE
    missing = healthcheck(tls_server.port, "--ca-file", str(tmp_path / "absent.pem"))
    assert missing.returncode == EXIT_USAGE and missing.stdout == ""


def test_command_line_client_with_ca_file(tls_server, tls_files):
    url = tls_server.url
    expect_ok(run_cli("register", "cli-over-tls", "--version", "v1", "--uri", "s3://b/m",
                      "--server", url, "--ca-file", tls_files.ca))
    listed = expect_ok(run_cli("models", "list", "-o", "json", "--server", url,
                               env={"MR_CA_FILE": tls_files.ca}))
    assert "cli-over-tls" in listed.stdout
    resolved = expect_ok(run_cli("resolve", "model-registry://cli-over-tls/v1", "--server", url,
                                 "--ca-file", tls_files.ca))
    assert resolved.stdout == "s3://b/m\n"
    expect_failure(run_cli("models", "list", "--server", url), EXIT_UNREACHABLE,
                   f"the TLS certificate of {url} is not trusted (see --ca-file)")
