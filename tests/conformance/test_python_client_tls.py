"""The official client, unchanged, over HTTPS with authentication on (issue 11): `is_secure=True`,
`custom_ca=` the test CA (tests/conftest.py, TlsFiles) and `user_token=` register a model and read
it back, and REST with the same CA and token sees it. A client that does not trust the CA fails."""
import warnings

import pytest
import requests

from client_generation import API_VERSION
# The server with authentication on, and the token command, as the plain-HTTP auth tests use them.
from test_python_client_auth import AUTHOR, RegistryServer, new_token


@pytest.fixture
def secured_tls(tmp_path, tls_files, no_token_file):
    tokens_file = str(tmp_path / "tokens")
    token = new_token(tokens_file, "ci", "write")
    srv = RegistryServer(str(tmp_path / "registry.db"), tls=tls_files,
                         extra_args=["--auth-tokens-file", tokens_file]).start()
    yield srv, token
    srv.stop()


def connect(port, **kw):
    from model_registry import ModelRegistry
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ModelRegistry("https://127.0.0.1", port, author=AUTHOR, is_secure=True, **kw)


def test_client_registers_and_reads_over_tls_with_a_token(secured_tls, tls_files):
    srv, token = secured_tls
    registry = connect(srv.port, custom_ca=tls_files.ca, user_token=token)
    registry.register_model("tls-model", "s3://bucket/tls.onnx", version="1",
                            model_format_name="onnx", model_format_version="1",
                            metadata={"accuracy": 0.9, "team": "a"})
    assert registry.get_registered_model("tls-model").name == "tls-model"
    version = registry.get_model_version("tls-model", "1")
    assert version.custom_properties["team"] == "a"
    assert registry.get_model_artifact("tls-model", "1").uri == "s3://bucket/tls.onnx"

    api = f"{srv.url}/api/model_registry/{API_VERSION}"
    auth = {"Authorization": f"Bearer {token}"}
    found = requests.get(api + "/registered_model", params={"name": "tls-model"}, headers=auth,
                         verify=tls_files.ca, timeout=10)
    assert found.status_code == 200, found.text
    versions = requests.get(f"{api}/registered_models/{found.json()['id']}/versions",
                            headers=auth, verify=tls_files.ca, timeout=10).json()["items"]
    assert [(v["name"], v["author"]) for v in versions] == [("1", AUTHOR)]
    assert requests.get(api + "/registered_models", verify=tls_files.ca,
                        timeout=10).status_code == 401


def test_client_without_the_ca_fails(secured_tls):
    srv, token = secured_tls
    with pytest.raises(Exception) as failed:
        connect(srv.port, user_token=token)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(failed.value) or "certificate" in str(
        failed.value).lower(), repr(failed.value)
