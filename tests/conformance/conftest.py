"""Fixtures for driving the official Python client (`model-registry`, pinned to 0.3.9) against our
binary. The `server` fixture (fresh process + fresh SQLite file per test) comes from tests/conftest.py.

Install the client with `pip install -r tests/requirements.txt`; without it (or with a
different version) every conformance test is skipped with a clear reason instead of giving results
that were never checked against that client's wire behaviour.
"""
import importlib.metadata
import warnings

import pytest

PINNED_CLIENT_VERSION = "0.3.9"
AUTHOR = "conformance-author"


def _installed_client_version():
    try:
        return importlib.metadata.version("model-registry")
    except importlib.metadata.PackageNotFoundError:
        return None


def pytest_collection_modifyitems(config, items):
    installed = _installed_client_version()
    if installed == PINNED_CLIENT_VERSION:
        return
    reason = (f"needs model-registry=={PINNED_CLIENT_VERSION} "
              f"(installed: {installed or 'none'}); see tests/requirements.txt")
    for item in items:
        if "/conformance/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def registry(server, monkeypatch):
    """A `ModelRegistry` connected to a fresh server over plain HTTP, without a token.

    The constructor itself already lists registered models (page size 1), so merely building this
    fixture checks the list envelope the client validates (§13.1)."""
    from model_registry import ModelRegistry

    # The client reads a token file named by this variable when no token is given; a stray value in
    # the developer's environment must not change what is sent.
    monkeypatch.delenv("KF_PIPELINES_SA_TOKEN_PATH", raising=False)
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
    that 0.3.9 has no higher-level wrapper for. Usage: `openapi(lambda api: api.get_x(...))`."""

    def call(make_request):
        async def run():
            async with registry._api.get_client() as api:
                return await make_request(api)

        return registry.async_runner(run())

    return call
