"""Conformance: `kubeflow.hub.ModelRegistryClient` from `kubeflow[hub]` (the client the Kubeflow docs
name) against our server over /api/model_registry/v1. It wraps `model_registry.ModelRegistry` 0.3.18
and turns "not found" into ValueError. Runs in the v1 venv (tests/requirements-v1.txt); elsewhere the
module is skipped because `kubeflow.hub` is not installed.

Expected values are the test's inputs or behaviour stated in
docs/api-behaviour.md (cited as §n).
"""
import warnings

import pytest

hub = pytest.importorskip("kubeflow.hub", reason="needs kubeflow[hub] (tests/requirements-v1.txt)")
from model_registry.exceptions import StoreError  # noqa: E402
from model_registry.types import (  # noqa: E402
    ModelArtifact,
    ModelVersion,
    ModelVersionState,
    RegisteredModel,
    RegisteredModelState,
)

AUTHOR = "hub-author"
METADATA = {"framework": "sklearn", "label_prod": "", "epochs": 12, "auc": 0.875, "calibrated": True}


def make_client(base_url, port=None):
    with warnings.catch_warnings():
        # "User access token is missing" is expected: the server does no authentication.
        warnings.simplefilter("ignore", UserWarning)
        return hub.ModelRegistryClient(base_url, port=port, author=AUTHOR)


@pytest.fixture
def client(server, no_token_file):
    # Plain HTTP and no explicit is_secure: the client infers both from the scheme.
    return make_client("http://127.0.0.1", port=server.port)


def register(client, name, version, **kwargs):
    with warnings.catch_warnings():
        # kubeflow 0.5.0 passes the version description to ModelRegistry.register_model under the
        # deprecated keyword `description`, which warns on every call.
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.register_model(name, f"s3://bucket/{name}/{version}", version=version, **kwargs)


def test_address_with_port_needs_no_port_argument(server, no_token_file):
    client = make_client(server.url)
    assert list(client.list_models()) == []


def test_register_model_and_the_three_getters(client):
    rm = register(client, "hub-model", "1.0.0", model_format_name="sklearn", model_format_version="1.5",
                  author="dana", owner="team-ml", version_description="first",
                  metadata=METADATA,
                  storage_config=hub.StorageConfig(storage_key="s3-conn", storage_path="models/hub/1",
                                                   service_account_name="puller"))
    assert isinstance(rm, RegisteredModel) and rm.id and rm.name == "hub-model"
    assert rm.owner == "team-ml" and rm.state == RegisteredModelState.LIVE

    model = client.get_model("hub-model")
    assert (model.id, model.name, model.owner) == (rm.id, "hub-model", "team-ml")

    version = client.get_model_version("hub-model", "1.0.0")
    assert isinstance(version, ModelVersion)
    assert version.name == "1.0.0" and version.registered_model_id == rm.id
    assert version.author == "dana" and version.description == "first"
    assert version.state == ModelVersionState.LIVE
    assert version.custom_properties == METADATA
    assert {k: type(v) for k, v in version.custom_properties.items()} == {
        k: type(v) for k, v in METADATA.items()}

    artifact = client.get_model_artifact("hub-model", "1.0.0")
    assert isinstance(artifact, ModelArtifact)
    assert artifact.name == "hub-model" and artifact.uri == "s3://bucket/hub-model/1.0.0"
    assert (artifact.model_format_name, artifact.model_format_version) == ("sklearn", "1.5")
    assert (artifact.storage_key, artifact.storage_path, artifact.service_account_name) == (
        "s3-conn", "models/hub/1", "puller")


def test_defaults_come_from_the_client_author(client):
    register(client, "defaults", "v1")
    assert client.get_model("defaults").owner == AUTHOR
    version = client.get_model_version("defaults", "v1")
    assert version.author == AUTHOR and version.description is None
    artifact = client.get_model_artifact("defaults", "v1")
    assert artifact.model_format_name is None and artifact.storage_key is None


def test_missing_names_raise(client):
    register(client, "present", "v1")
    with pytest.raises(ValueError, match="absent"):
        client.get_model("absent")
    with pytest.raises(ValueError, match="absent-version"):
        client.get_model_version("present", "absent-version")
    # The underlying client raises StoreError when the parent itself is missing.
    with pytest.raises(StoreError, match="absent"):
        client.get_model_version("absent", "v1")
    with pytest.raises(StoreError, match="absent-version"):
        client.get_model_artifact("present", "absent-version")
    with pytest.raises(StoreError, match="absent"):
        list(client.list_model_versions("absent"))


def test_duplicate_version_raises_store_error(client):
    register(client, "dup", "v1")
    with pytest.raises(StoreError, match=r"v1.*already exists"):
        register(client, "dup", "v1")
    assert [v.name for v in client.list_model_versions("dup")] == ["v1"]


def test_list_models_and_versions(client):
    for name in ("list-b", "list-a", "list-c"):
        register(client, name, "v1")
    register(client, "list-a", "v2")
    register(client, "list-a", "v3")
    models = list(client.list_models())
    assert [m.name for m in models] == ["list-b", "list-a", "list-c"]  # id order (§7)
    assert all(isinstance(m, RegisteredModel) for m in models)
    versions = list(client.list_model_versions("list-a"))
    assert [v.name for v in versions] == ["v1", "v2", "v3"]
    assert {v.registered_model_id for v in versions} == {client.get_model("list-a").id}
    assert [v.name for v in client.list_model_versions("list-b")] == ["v1"]


def test_update_model_version_archive_restore_and_edit(client):
    register(client, "upd", "v1", metadata={"stage": "dev"})
    register(client, "upd", "v2")
    version = client.get_model_version("upd", "v1")
    version.state = ModelVersionState.ARCHIVED
    version.description = "superseded"
    version.custom_properties = {"stage": "retired", "replaced_by": "v2"}
    updated = client.update_model_version(version)
    assert updated.id == version.id and updated.state == ModelVersionState.ARCHIVED

    again = client.get_model_version("upd", "v1")
    assert again.state == ModelVersionState.ARCHIVED and again.description == "superseded"
    assert again.custom_properties == {"stage": "retired", "replaced_by": "v2"}
    assert client.get_model_version("upd", "v2").state == ModelVersionState.LIVE

    again.state = ModelVersionState.LIVE
    assert client.update_model_version(again).state == ModelVersionState.LIVE
    assert client.get_model_version("upd", "v1").state == ModelVersionState.LIVE


def test_update_model_and_model_artifact(client):
    register(client, "upd-all", "v1")
    model = client.get_model("upd-all")
    model.description = "described"
    model.state = RegisteredModelState.ARCHIVED
    client.update_model(model)
    fetched = client.get_model("upd-all")
    assert fetched.description == "described" and fetched.state == RegisteredModelState.ARCHIVED

    artifact = client.get_model_artifact("upd-all", "v1")
    artifact.uri = "s3://moved/upd-all"
    artifact.custom_properties = {"size_mb": 40}
    assert client.update_model_artifact(artifact).id == artifact.id
    moved = client.get_model_artifact("upd-all", "v1")
    assert moved.uri == "s3://moved/upd-all" and moved.custom_properties == {"size_mb": 40}
