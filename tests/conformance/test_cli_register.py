"""`model-registry register` against the official Python client's register_model: the same
request sequence must leave the same entities, and each side reads what the other wrote."""
import os
import subprocess

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

V1 = "/api/model_registry/v1"
VOLATILE = {"id", "createTimeSinceEpoch", "lastUpdateTimeSinceEpoch", "registeredModelId"}


def cli(server, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MR_")}
    binary = os.environ.get("MR_BINARY", os.path.join(REPO_ROOT, "build", "model-registry"))
    return subprocess.run([binary, *args, "--server", server.url], capture_output=True,
                          text=True, timeout=30, env=env)


def fetch(server, path, **params):
    r = requests.get(server.url + V1 + path, params=params, timeout=10,
                     headers={"Connection": "close"})
    assert r.status_code == 200, r.text
    return r.json()


def stored(server, model, version):
    """The model, version and version artifacts as the server stores them."""
    rm = fetch(server, "/registered_model", name=model)
    mv = fetch(server, "/model_version", name=version, parentResourceId=rm["id"])
    artifacts = fetch(server, f"/model_versions/{mv['id']}/artifacts")["items"]
    return rm, mv, artifacts


def stable(entity, model_name):
    """The entity without ids, timestamps and the model's own name."""
    return {k: v for k, v in entity.items()
            if k not in VOLATILE and not (k == "name" and v == model_name)}


def test_cli_register_stores_what_register_model_stores(registry, server):
    registry.register_model("py-model", "s3://bucket/model/v1", version="v1",
                            model_format_name="onnx", model_format_version="1.14",
                            author="alice", owner="team", version_description="first",
                            storage_key="aws", storage_path="model/v1",
                            service_account_name="sa",
                            metadata={"accuracy": 0.93, "epochs": 10, "prod": True,
                                      "framework": "pytorch"})
    result = cli(server, "register", "cli-model", "--version", "v1", "--uri",
                 "s3://bucket/model/v1", "--format", "onnx", "--format-version", "1.14",
                 "--author", "alice", "--owner", "team", "--description", "first",
                 "--storage-key", "aws", "--storage-path", "model/v1", "--service-account", "sa",
                 "--meta", "accuracy=0.93", "--meta", "epochs=10", "--meta", "prod=true",
                 "--meta", "framework=pytorch")
    assert result.returncode == 0, result.stderr
    py_rm, py_mv, py_artifacts = stored(server, "py-model", "v1")
    cli_rm, cli_mv, cli_artifacts = stored(server, "cli-model", "v1")
    assert stable(cli_rm, "cli-model") == stable(py_rm, "py-model")
    assert stable(cli_mv, "cli-model") == stable(py_mv, "py-model")
    assert [stable(a, "cli-model") for a in cli_artifacts] == \
        [stable(a, "py-model") for a in py_artifacts]
    assert len(cli_artifacts) == 1


def test_each_reads_what_the_other_registered(registry, server):
    result = cli(server, "register", "fraud", "--version", "v1", "--uri", "s3://b/fraud/v1",
                 "--format", "onnx", "--format-version", "1", "--author", "bob",
                 "--meta", "epochs=10", "--meta", "lr=0.01", "--meta", "prod=false")
    assert result.returncode == 0, result.stderr
    version = registry.get_model_version("fraud", "v1")
    assert (version.author, version.custom_properties) == (
        "bob", {"epochs": 10, "lr": 0.01, "prod": False})
    assert registry.get_model_artifact("fraud", "v1").uri == "s3://b/fraud/v1"

    registry.register_model("fraud", "s3://b/fraud/v2", version="v2", model_format_name="onnx",
                            model_format_version="1")
    resolved = cli(server, "resolve", "model-registry://fraud")
    assert (resolved.returncode, resolved.stdout) == (0, "s3://b/fraud/v2\n")
    # The client refuses an existing version; so does the command, with exit code 1.
    again = cli(server, "register", "fraud", "--version", "v2", "--uri", "s3://other")
    assert (again.returncode, again.stderr) == (
        1, "model-registry: version v2 of model fraud already exists\n")
