"""Shared pytest fixtures: start the real model-registry binary on an ephemeral
loopback port with a fresh SQLite file, and talk HTTP to it.

The binary is taken from $MR_BINARY (default: build/model-registry).

With $MR_TEST_DATABASE_URL set (a PostgreSQL server, e.g. from
scripts/pg-test-cluster.sh), every server runs on PostgreSQL instead: each
SQLite file name maps to its own database, created empty on first use, so a
test that restarts a server on "the same file" finds its data again.
"""
import hashlib
import os
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = "/api/model_registry/v1alpha3"


def binary_path():
    return os.environ.get("MR_BINARY", os.path.join(REPO_ROOT, "build", "model-registry"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_create_database_lock = threading.Lock()


def _postgres_url_for(db_file):
    """The URL of the PostgreSQL database standing in for `db_file` (created if new)."""
    base = os.environ["MR_TEST_DATABASE_URL"]
    name = "mr_" + hashlib.sha1(os.path.abspath(db_file).encode()).hexdigest()[:16]
    with _create_database_lock:  # servers of one test may start from several threads
        _create_database(base, name)
    if "://" in base:
        scheme, rest = base.split("://", 1)
        authority, _, tail = rest.partition("/")
        query = tail.partition("?")[2]
        return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")
    return f"{base} dbname={name}"


def _create_database(base, name):
    exists = subprocess.run(["psql", base, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            check=True, capture_output=True, text=True, timeout=30).stdout.strip()
    if not exists:
        subprocess.run(["psql", base, "-qc", f'CREATE DATABASE "{name}"'], check=True,
                       capture_output=True, timeout=30)


class RegistryServer:
    """A running server process; `url` is http://127.0.0.1:<port>, or https://... with `tls`
    (a TlsFiles: the server gets --tls-cert/--tls-key and is checked with the CA)."""

    def __init__(self, db_file, extra_args=(), env=None, tls=None):
        self.db_file = db_file
        self.port = free_port()
        self.tls = tls
        self.verify = tls.ca if tls else True
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.api = self.url + API
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def start(self, timeout=15.0):
        cmd = [binary_path(), "serve", "--hostname", "127.0.0.1", "--port", str(self.port),
               "--db-file", self.db_file] + self.extra_args
        if self.tls:
            cmd += ["--tls-cert", self.tls.cert, "--tls-key", self.tls.key]
        if os.environ.get("MR_TEST_DATABASE_URL"):
            cmd += ["--database-url", _postgres_url_for(self.db_file)]
        # The log goes to a file, never an unread pipe: a full pipe would block
        # the server.
        self.log_path = self.db_file + ".log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(self.log_path, "rb") as log:
                    out = log.read().decode(errors="replace")
                raise RuntimeError(f"server exited with {self.proc.returncode}: {out}")
            try:
                # Connection: close, so no idle keep-alive connection delays stop().
                r = requests.get(self.api + "/readyz/health", timeout=1, verify=self.verify,
                                 headers={"Connection": "close"})
                if r.status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become healthy in time")

    def stop(self, sig=None):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.log.close()
        self.proc = None
        return code


@pytest.fixture
def tmp_db(tmp_path):
    return str(tmp_path / "registry.db")


@pytest.fixture
def server(tmp_db):
    """A fresh server per test (fresh database)."""
    srv = RegistryServer(tmp_db).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server per test module, for read-mostly tests that create unique names."""
    db = str(tmp_path_factory.mktemp("db") / "registry.db")
    srv = RegistryServer(db).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server):
    """Base URL of the API on a fresh server, e.g. http://127.0.0.1:1234/api/model_registry/v1alpha3."""
    return server.api


# ---------------------------------------------------------------- TLS test certificates

class TlsFiles:
    """A test CA (`ca`, PEM) and a server certificate it signed (`cert`, `key`) for
    IP:127.0.0.1 and DNS:localhost, made with the openssl command in `directory`."""

    def __init__(self, directory):
        directory = str(directory)
        os.makedirs(directory, exist_ok=True)
        self.ca = os.path.join(directory, "ca.pem")
        self.ca_key = os.path.join(directory, "ca.key")
        self.cert = os.path.join(directory, "server.pem")
        self.key = os.path.join(directory, "server.key")
        csr = os.path.join(directory, "server.csr")
        ext = os.path.join(directory, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                    "basicConstraints = CA:FALSE\n"
                    "keyUsage = digitalSignature, keyEncipherment\n"
                    "extendedKeyUsage = serverAuth\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self._openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=model-registry test CA",
                      "-keyout", self.ca_key, "-out", self.ca)
        self._openssl("req", "-new", *ec, "-subj", "/CN=localhost", "-keyout", self.key,
                      "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", self.cert)

    @staticmethod
    def _openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """One CA and server certificate for the whole session."""
    return TlsFiles(tmp_path_factory.mktemp("tls"))
