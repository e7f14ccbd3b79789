"""Which official client generation this venv holds, and which API version it speaks.

Shared by conftest.py and the test modules (plain module: test modules cannot import conftest).
"""
import importlib.metadata

# The client releases the conformance tests are written against, and the API version each speaks.
API_VERSION_OF_CLIENT = {
    "0.3.14": "v1alpha3",
    "0.3.18": "v1",
}


def installed_client_version():
    try:
        return importlib.metadata.version("model-registry")
    except importlib.metadata.PackageNotFoundError:
        return None


CLIENT_VERSION = installed_client_version()
# None when the installed client is not one of the supported releases.
API_VERSION = API_VERSION_OF_CLIENT.get(CLIENT_VERSION)
NO_EXPERIMENTS_REASON = (
    f"model-registry {CLIENT_VERSION} speaks /api/model_registry/{API_VERSION}, which has no "
    "experiment or experiment-run routes (experiments run with 0.3.14 on v1alpha3)")
