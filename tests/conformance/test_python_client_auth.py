"""The official client, unchanged, against a server with authentication on (issue 11): a token
passed as `user_token=` or read from the file named by KF_PIPELINES_SA_TOKEN_PATH is sent as a
bearer token and works; no token or a read-only token fails the way the client reports errors."""
import importlib.util
import os
import subprocess
import warnings

import pytest

AUTHOR = "conformance-author"


def _root_conftest():
    # tests/conftest.py starts servers; both it and this folder's conftest are named `conftest`.
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conftest.py")
    spec = importlib.util.spec_from_file_location("mr_root_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RegistryServer = _root_conftest().RegistryServer
binary_path = _root_conftest().binary_path


def new_token(tokens_file, name, role):
    out = subprocess.run([binary_path(), "token", "new", name, "--role", role, "--file",
                          tokens_file], capture_output=True, text=True, timeout=20, check=True)
    return out.stdout.strip()


@pytest.fixture
def secured(tmp_path, no_token_file):
    tokens_file = str(tmp_path / "tokens")
    write = new_token(tokens_file, "ci", "write")
    read = new_token(tokens_file, "viewer", "read")
    srv = RegistryServer(str(tmp_path / "registry.db"),
                         extra_args=["--auth-tokens-file", tokens_file]).start()
    yield srv, write, read
    srv.stop()


def connect(port, **kw):
    from model_registry import ModelRegistry
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ModelRegistry("http://127.0.0.1", port, author=AUTHOR, is_secure=False, **kw)


def test_user_token_registers_and_reads(secured):
    srv, write, _ = secured
    registry = connect(srv.port, user_token=write)
    registry.register_model("secured-model", "s3://bucket/m.onnx", version="1",
                            model_format_name="onnx", model_format_version="1",
                            metadata={"accuracy": 0.9, "epochs": 3, "ok": True, "team": "a"})
    version = registry.get_model_version("secured-model", "1")
    assert version.name == "1"
    assert version.custom_properties["epochs"] == 3
    assert registry.get_model_artifact("secured-model", "1").uri == "s3://bucket/m.onnx"


def test_token_file_of_the_service_account_is_used(secured, tmp_path, monkeypatch):
    srv, write, _ = secured
    token_file = tmp_path / "sa-token"
    token_file.write_text(write)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(token_file))
    registry = connect(srv.port)
    registry.register_model("from-file", "s3://b/x", version="v", model_format_name="onnx",
                            model_format_version="1")
    assert registry.get_registered_model("from-file").name == "from-file"


def test_no_token_or_wrong_token_fails_at_construction(secured):
    srv, _, _ = secured
    with pytest.raises(Exception) as missing:
        connect(srv.port)
    assert "401" in str(missing.value) or "Unauthorized" in str(missing.value)
    with pytest.raises(Exception):
        connect(srv.port, user_token="mrt_" + "0" * 64)


def test_read_token_reads_but_cannot_register(secured):
    srv, write, read = secured
    connect(srv.port, user_token=write).register_model(
        "shared", "s3://b/y", version="1", model_format_name="onnx", model_format_version="1")
    viewer = connect(srv.port, user_token=read)
    assert viewer.get_registered_model("shared").name == "shared"
    with pytest.raises(Exception) as refused:
        viewer.register_model("nope", "s3://b/z", version="1", model_format_name="onnx",
                              model_format_version="1")
    assert "403" in str(refused.value) or "Forbidden" in str(refused.value)
