"""Fixtures for driving the official Python clients, unchanged, against our binary. The `server`
fixture (fresh process + fresh SQLite file per test) comes from tests/conftest.py.

One set of test files serves two client generations; which one runs depends on the venv:
- `.venv` (tests/requirements.txt): model-registry 0.3.14, the last release that speaks
  /api/model_registry/v1alpha3 (experiments included);
- `.venv-v1` (tests/requirements-v1.txt): model-registry 0.3.18, which speaks
  /api/model_registry/v1 (no experiments), plus `kubeflow[hub]` and the `kfp` SDK.

With any other client version (or none) every conformance test is skipped with a clear reason
instead of giving results that were never checked against that client's wire behaviour. Modules that
need one generation skip themselves on the other with the reason (client_generation.py).
"""
import warnings

import pytest
from client_generation import API_VERSION, API_VERSION_OF_CLIENT, CLIENT_VERSION

AUTHOR = "conformance-author"


def pytest_collection_modifyitems(config, items):
    if API_VERSION is not None:
        return
    supported = " or ".join(f"=={v}" for v in API_VERSION_OF_CLIENT)
    reason = (f"needs model-registry {supported} (installed: {CLIENT_VERSION or 'none'}); "
              "see tests/requirements.txt and tests/requirements-v1.txt")
    for item in items:
        if "/conformance/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def no_token_file(monkeypatch):
    # The client reads a token file named by this variable when no token is given; a stray value in
    # the developer's environment must not change what is sent.
    monkeypatch.delenv("KF_PIPELINES_SA_TOKEN_PATH", raising=False)


@pytest.fixture
def registry(server, no_token_file):
    """A `ModelRegistry` connected to a fresh server over plain HTTP, without a token.

    The constructor itself already lists registered models (page size 1), so merely building this
    fixture checks the list envelope the client validates (docs/api-behaviour.md §13.1)."""
    from model_registry import ModelRegistry

    with warnings.catch_warnings():
        # "User access token is missing" is expected: the server does no authentication.
        warnings.simplefilter("ignore", UserWarning)
        return ModelRegistry("http://127.0.0.1", server.port, author=AUTHOR, is_secure=False)


@pytest.fixture
def run_async(registry):
    """Runs a coroutine of the client's internal `ModelRegistryAPIClient` (`registry._api`) on the
    client's own event-loop runner, the same way the high-level methods do."""
    return registry.async_runner


@pytest.fixture
def openapi(registry):
    """Calls the client's generated OpenAPI layer (`mr_openapi.ModelRegistryServiceApi`) for routes
    the client has no higher-level wrapper for. Usage: `openapi(lambda api: api.get_x(...))`."""

    def call(make_request):
        async def run():
            async with registry._api.get_client() as api:
                return await make_request(api)

        return registry.async_runner(run())

    return call
