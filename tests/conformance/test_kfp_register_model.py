"""A Kubeflow Pipelines step registers a model: KFP v2 components (the `kfp` SDK), run by kfp's local
subprocess runner (no Kubernetes, no container), call `model_registry.ModelRegistry.register_model`
against the real binary; the test then finds the version and its artifact through the REST API.

The components install nothing at run time (`install_kfp_package=False`, no `packages_to_install`):
the runner executes them with this venv's interpreter, which already has the client (v1 venv,
tests/requirements-v1.txt). A test checks that the component command holds no pip install, and pip
is pointed at no index while the pipeline runs, so a stray install fails instead of reaching out.
"""
import json

import pytest
import requests

kfp = pytest.importorskip("kfp", reason="needs the kfp SDK (tests/requirements-v1.txt)")
import kfp.local  # noqa: E402
from kfp import dsl  # noqa: E402
from client_generation import API_VERSION  # noqa: E402

API_PREFIX = f"/api/model_registry/{API_VERSION}"


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def train(model: dsl.Output[dsl.Model], epochs: int):
    """Stands in for a training step: writes a model file into the pipeline's artifact store."""
    with open(model.path, "w") as out:
        out.write(f"weights after {epochs} epochs\n")
    model.metadata["epochs"] = epochs


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def register_model(model: dsl.Input[dsl.Model], registry_address: str, registry_port: int,
                   model_name: str, version: str, metadata_json: str) -> str:
    """The registration step as a pipeline author writes it: the official client, unchanged."""
    import json

    from model_registry import ModelRegistry

    registry = ModelRegistry(registry_address, registry_port, author="kfp-pipeline", is_secure=False)
    registered = registry.register_model(
        model_name, model.uri, version=version, model_format_name="text", model_format_version="1",
        version_description="registered by a KFP step", model_source_kind="kfp",
        model_source_class="pipelinerun", model_source_name="train-and-register",
        metadata=json.loads(metadata_json))
    return registered.id


@dsl.pipeline(name="train-and-register")
def train_and_register(registry_address: str, registry_port: int, model_name: str, version: str,
                       metadata_json: str) -> str:
    trained = train(epochs=3)
    return register_model(model=trained.outputs["model"], registry_address=registry_address,
                          registry_port=registry_port, model_name=model_name, version=version,
                          metadata_json=metadata_json).output


@pytest.fixture
def local_kfp(tmp_path, monkeypatch, no_token_file):
    """kfp's local subprocess runner in this interpreter, with pip unable to reach any index."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    # The runner writes each component's source into `mktemp -d` and leaves it: keep that here.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-packages-here"))
    pipeline_root = tmp_path / "pipeline-root"
    kfp.local.init(runner=kfp.local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root))
    return pipeline_root


def test_components_install_nothing_at_run_time():
    for component in (train, register_model):
        container = component.component_spec.implementation.container
        command = " ".join(list(container.command) + list(container.args or []))
        assert "pip install" not in command, command
        assert "kfp.dsl.executor_main" in command


def get_json(url, **params):
    response = requests.get(url, params=params, timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()


def test_pipeline_step_registers_a_model(server, local_kfp):
    metadata = {"accuracy": 0.91, "epochs": 3, "dataset": "iris", "tuned": False}
    run = train_and_register(registry_address="http://127.0.0.1", registry_port=server.port,
                             model_name="kfp-model", version="run-1",
                             metadata_json=json.dumps(metadata))
    registered_model_id = run.output
    assert registered_model_id.isdigit()

    api = server.url + API_PREFIX
    model = get_json(f"{api}/registered_model", name="kfp-model")
    assert model["id"] == registered_model_id and model["owner"] == "kfp-pipeline"

    versions = get_json(f"{api}/registered_models/{registered_model_id}/versions")
    assert [v["name"] for v in versions["items"]] == ["run-1"]
    version = versions["items"][0]
    assert version["author"] == "kfp-pipeline"
    assert version["description"] == "registered by a KFP step"
    assert version["registeredModelId"] == registered_model_id
    assert version["customProperties"] == {
        "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": 0.91},
        "epochs": {"metadataType": "MetadataIntValue", "int_value": "3"},
        "dataset": {"metadataType": "MetadataStringValue", "string_value": "iris"},
        "tuned": {"metadataType": "MetadataBoolValue", "bool_value": False},
    }

    artifacts = get_json(f"{api}/model_versions/{version['id']}/artifacts")
    assert len(artifacts["items"]) == 1
    artifact = artifacts["items"][0]
    assert artifact["artifactType"] == "model-artifact" and artifact["name"] == "kfp-model"
    # The artifact points at the model file the training step wrote into the pipeline root.
    model_file = artifact["uri"]
    assert model_file.startswith(str(local_kfp)), model_file
    with open(model_file) as written:
        assert written.read() == "weights after 3 epochs\n"
    assert (artifact["modelFormatName"], artifact["modelFormatVersion"]) == ("text", "1")
    assert (artifact["modelSourceKind"], artifact["modelSourceClass"], artifact["modelSourceName"]) == (
        "kfp", "pipelinerun", "train-and-register")


def test_second_run_adds_a_version_to_the_same_model(server, local_kfp):
    first = train_and_register(registry_address="http://127.0.0.1", registry_port=server.port,
                               model_name="kfp-model", version="run-1", metadata_json="{}").output
    second = train_and_register(registry_address="http://127.0.0.1", registry_port=server.port,
                                model_name="kfp-model", version="run-2",
                                metadata_json='{"source": "rerun"}').output
    assert second == first

    api = server.url + API_PREFIX
    assert [m["name"] for m in get_json(f"{api}/registered_models")["items"]] == ["kfp-model"]
    versions = get_json(f"{api}/registered_models/{first}/versions")["items"]
    assert [v["name"] for v in versions] == ["run-1", "run-2"]
    uris = [get_json(f"{api}/model_versions/{v['id']}/artifacts")["items"][0]["uri"] for v in versions]
    # Each run wrote its own model file, and each version points at its own.
    assert len(set(uris)) == 2 and all(uri.startswith(str(local_kfp)) for uri in uris)
