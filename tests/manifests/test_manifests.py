"""The Kubernetes manifests (manifests/kustomize, docs/DEPLOYMENT.md "Kubernetes").

Each kustomization is rendered with kustomize and validated by kubernetes-validate against the
strict Kubernetes JSON schemas of the oldest and the newest Kubernetes release it ships; the same
validator must reject deliberately broken manifests. The container spec is checked against the
Dockerfile (binary, user, port, data directory), and the real binary, started the way the
container spec says, must answer the readiness and liveness probes.

Tools come from scripts/install-manifest-tools.sh: kustomize from $MR_KUSTOMIZE (default
.tools/bin/kustomize), kubernetes-validate from this venv; the server from $MR_BINARY.
"""
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from conftest import REPO_ROOT, _postgres_url_for, binary_path, free_port

KUSTOMIZE_DIR = os.path.join(REPO_ROOT, "manifests", "kustomize")
BASE = os.path.join(KUSTOMIZE_DIR, "base")
DB_OVERLAY = os.path.join(KUSTOMIZE_DIR, "overlays", "db")
# The oldest and the newest release whose schemas kubernetes-validate 1.37.0 ships.
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")
DATA_DIR = "/var/lib/model-registry"
SECRET_NAME = "model-registry-db"


def kustomize_path():
    return os.environ.get("MR_KUSTOMIZE", os.path.join(REPO_ROOT, ".tools", "bin", "kustomize"))


def validator_path():
    return os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")


def render(directory):
    result = subprocess.run([kustomize_path(), "build", directory], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, f"kustomize build {directory} failed:\n{result.stderr}"
    return result.stdout


def documents(rendered):
    return [d for d in yaml.safe_load_all(rendered) if d is not None]


def validate(rendered, version):
    """kubernetes-validate on the rendered YAML: (exit code, its output)."""
    result = subprocess.run([validator_path(), "--strict", "--no-warn", "-k", version, "-"],
                            input=rendered, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def find(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container_of(docs):
    containers = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def load_docker_check():
    path = os.path.join(REPO_ROOT, "scripts", "docker-build-check.py")
    spec = importlib.util.spec_from_file_location("docker_build_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered():
    return {"base": render(BASE), "db": render(DB_OVERLAY)}


@pytest.fixture(scope="module")
def image():
    """What the Dockerfile's final stage declares."""
    check = load_docker_check()
    final = check.parse_dockerfile(os.path.join(REPO_ROOT, "Dockerfile"))[-1]
    env = {}
    for instruction in final.all("ENV"):
        env.update(check.parse_env(instruction.args))
    user_setup = " ".join(i.args for i in final.all("RUN"))
    return {
        "entrypoint": check.exec_form(final.last("ENTRYPOINT").args),
        "cmd": check.exec_form(final.last("CMD").args),
        "user": final.last("USER").args,
        "uid": int(user_setup.split("--uid", 1)[1].split()[0]),
        "expose": [int(p.split("/")[0]) for p in final.last("EXPOSE").args.split()],
        "volume": final.last("VOLUME").args,
        "env": env,
        "healthcheck": check.healthcheck_command(final.last("HEALTHCHECK").args),
    }


# ----------------------------------------------------------------------------------------
# Schema validation, and that the validator can fail.


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("variant", ["base", "db"])
def test_rendered_manifests_pass_the_strict_kubernetes_schemas(rendered, variant, version):
    code, output = validate(rendered[variant], version)
    assert code == 0, output
    # Every resource was checked, none skipped for want of a schema.
    assert output.count(" passed for resource ") == len(documents(rendered[variant])), output


def _broken(rendered_text, breaker):
    docs = documents(rendered_text)
    breaker(find(docs, "Deployment"))
    return yaml.safe_dump_all(docs)


@pytest.mark.parametrize("breaker, complaint", [
    (lambda d: d["spec"].__setitem__("replicas", "three"), "'three' is not of type 'integer'"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__(
        "readinesProbe", {"httpGet": {"path": "/", "port": 8080}}), "'readinesProbe' was unexpected"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].__setitem__(
        "containerPort", "http"), "'http' is not of type 'integer'"),
], ids=["replicas-as-string", "misspelled-field", "port-as-string"])
def test_the_validator_rejects_a_broken_manifest(rendered, breaker, complaint):
    code, output = validate(_broken(rendered["db"], breaker), KUBERNETES_VERSIONS[-1])
    assert code != 0, output
    assert complaint in output


def test_kustomize_fails_on_a_patch_of_a_missing_resource(tmp_path):
    # kustomize takes only relative paths to other kustomizations: a copy of the base.
    shutil.copytree(BASE, tmp_path / "base")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text(
        "resources:\n  - ../base\n"
        "patches:\n"
        "  - patch: |-\n"
        "      apiVersion: apps/v1\n"
        "      kind: Deployment\n"
        "      metadata:\n"
        "        name: no-such-deployment\n"
        "      spec:\n"
        "        replicas: 2\n")
    result = subprocess.run([kustomize_path(), "build", str(tmp_path / "overlay")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "no-such-deployment" in result.stderr


# ----------------------------------------------------------------------------------------
# What each variant says.


def test_base_is_one_server_on_sqlite_on_a_volume_claim(rendered):
    docs = documents(rendered["base"])
    deployment = find(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    claim = find(docs, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container_of(docs)["volumeMounts"]}
    assert volumes[mounts[DATA_DIR]]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    env = env_of(container_of(docs))
    assert os.path.dirname(env["MR_DB_FILE"]["value"]) == DATA_DIR
    assert "MR_DATABASE_URL" not in env


def test_db_overlay_is_several_servers_on_postgresql_from_a_secret(rendered):
    docs = documents(rendered["db"])
    deployment = find(docs, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    container = container_of(docs)
    env = env_of(container)
    assert env["MR_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": SECRET_NAME,
                                                                   "key": "database-url"}
    assert "MR_DB_FILE" not in env
    assert DATA_DIR not in [m["mountPath"] for m in container["volumeMounts"]]
    assert [v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]] == ["tmp"]
    budget = find(docs, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("variant", ["base", "db"])
def test_selectors_match_the_pod_labels(rendered, variant):
    docs = documents(rendered[variant])
    deployment = find(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [deployment["spec"]["selector"]["matchLabels"], find(docs, "Service")["spec"]["selector"]]
    selectors += [d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] == "PodDisruptionBudget"]
    for selector in selectors:
        assert selector and selector.items() <= labels.items()


@pytest.mark.parametrize("variant", ["base", "db"])
def test_container_matches_the_dockerfile(rendered, image, variant):
    docs = documents(rendered[variant])
    container = container_of(docs)
    pod = find(docs, "Deployment")["spec"]["template"]["spec"]
    assert container["command"] == image["entrypoint"]
    assert container["args"] == image["cmd"]
    assert image["user"] == "model-registry"
    assert pod["securityContext"]["runAsUser"] == image["uid"]
    assert pod["securityContext"]["runAsGroup"] == image["uid"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    port = container["ports"][0]
    assert port["containerPort"] in image["expose"]
    assert str(port["containerPort"]) == image["env"]["MR_PORT"] == env_of(container)["MR_PORT"]["value"]
    assert find(docs, "Service")["spec"]["ports"][0]["targetPort"] == port["name"]
    assert image["volume"] == DATA_DIR
    # The image's own health check asks the route the readiness probe asks.
    assert image["healthcheck"][:2] == [image["entrypoint"][0], "healthcheck"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/model_registry/v1/readyz/health"


@pytest.mark.parametrize("variant", ["base", "db"])
def test_container_is_locked_down_and_bounded(rendered, variant):
    docs = documents(rendered[variant])
    container = container_of(docs)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # With the root file system read-only, /tmp is a volume of its own.
    assert "/tmp" in [m["mountPath"] for m in container["volumeMounts"]]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == container["ports"][0]["name"]


# ----------------------------------------------------------------------------------------
# The real binary, started as the container spec says.


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _post_model(server, name):
    request = urllib.request.Request(
        server.url("/api/model_registry/v1/registered_models"), method="POST",
        data=json.dumps({"name": name}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _model_names(server):
    with urllib.request.urlopen(server.url("/api/model_registry/v1/registered_models"),
                                timeout=10) as response:
        return {item["name"] for item in json.load(response)["items"]}


class ContainerLikeServer:
    """The binary run with the image's and the container's environment (values from Secrets
    taken from `secrets`), the listen address and port remapped to loopback and a free port,
    each mounted directory to a temp dir, and the image's own paths to a stand-in for its
    read-only root file system (`rootfs`, which must stay empty)."""

    def __init__(self, container, image, root, secrets=None, extra_env=None):
        self.mounts = {path: os.path.join(root, "mount" + path.replace("/", "_"))
                       for path in [m["mountPath"] for m in container.get("volumeMounts", [])]}
        self.workdir = os.path.join(root, "workdir")
        self.rootfs = os.path.join(root, "rootfs")
        for directory in [*self.mounts.values(), self.workdir, self.rootfs + image["volume"]]:
            os.makedirs(directory)
        env = dict(image["env"])
        for name, entry in env_of(container).items():
            if "value" in entry:
                env[name] = entry["value"]
            else:
                ref = entry["valueFrom"]["secretKeyRef"]
                env[name] = (secrets or {})[(ref["name"], ref["key"])]
        for name, value in env.items():
            if value.startswith("/"):
                for path, local in self.mounts.items():
                    if value.startswith(path + "/"):
                        env[name] = local + value[len(path):]
                        break
                else:
                    env[name] = self.rootfs + value
        env.update(extra_env or {})
        self.port = free_port()
        env.update(MR_HOSTNAME="127.0.0.1", MR_PORT=str(self.port),
                   TMPDIR=self.mounts.get("/tmp", ""), PATH=os.environ.get("PATH", ""))
        self.env = env
        command = [binary_path()] + container["args"]
        assert container["command"][0].endswith("/model-registry")
        self.log = open(os.path.join(root, "server.log"), "wb")
        self.proc = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def root_writes(self):
        """Files the server made where the container has its read-only root."""
        return [os.path.join(d, f) for top in (self.workdir, self.rootfs)
                for d, _, files in os.walk(top) for f in files]

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited with {self.proc.returncode}"
            try:
                if _get(self.url(path)) == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become ready in time")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def test_base_container_answers_its_probes_and_writes_only_to_its_volumes(rendered, image, tmp_path):
    container = container_of(documents(rendered["base"]))
    readiness = container["readinessProbe"]["httpGet"]["path"]
    liveness = container["livenessProbe"]["httpGet"]["path"]
    server = ContainerLikeServer(container, image, str(tmp_path))
    try:
        server.wait_ready(readiness)
        assert _get(server.url(liveness)) == 200
        assert _post_model(server, "k8s-probe-model") == 201
        # The SQLite file lives on the claim; nothing lands in the read-only root (the workdir).
        assert os.path.exists(server.env["MR_DB_FILE"])
        assert os.path.dirname(server.env["MR_DB_FILE"]) == server.mounts[DATA_DIR]
        assert server.root_writes() == []

        # The database gone: not ready any more, but still alive, so not restarted.
        shutil.rmtree(server.mounts[DATA_DIR])
        assert _get(server.url(readiness)) == 503
        assert _get(server.url(liveness)) == 200
    finally:
        assert server.stop() == 0
    assert server.root_writes() == []


def test_probes_need_no_token_when_authentication_is_on(rendered, image, tmp_path):
    container = container_of(documents(rendered["base"]))
    tokens = tmp_path / "tokens"
    subprocess.run([binary_path(), "token", "new", "ci", "--role", "write", "--file", str(tokens)],
                   check=True, capture_output=True, timeout=30)
    server = ContainerLikeServer(container, image, str(tmp_path / "pod"),
                                 extra_env={"MR_AUTH_TOKENS_FILE": str(tokens)})
    try:
        server.wait_ready(container["readinessProbe"]["httpGet"]["path"])
        assert _get(server.url(container["livenessProbe"]["httpGet"]["path"])) == 200
        # Authentication is on: the API itself wants a token.
        assert _get(server.url("/api/model_registry/v1/registered_models")) == 401
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("MR_TEST_DATABASE_URL"),
                    reason="needs MR_TEST_DATABASE_URL (scripts/test.sh's manifests suite starts one)")
def test_db_overlay_replicas_start_together_on_one_database_from_the_secret(rendered, image, tmp_path):
    """As many servers as the overlay's replicas, started at once as its container spec says,
    the Secret's URL naming one fresh PostgreSQL database: all become ready, a write through
    one is read through every other, and none writes to the read-only root."""
    docs = documents(rendered["db"])
    container = container_of(docs)
    replicas = find(docs, "Deployment")["spec"]["replicas"]
    url = _postgres_url_for(str(tmp_path / "overlay-db"))
    servers = []
    try:
        for index in range(replicas):
            servers.append(ContainerLikeServer(container, image, str(tmp_path / f"pod{index}"),
                                               secrets={(SECRET_NAME, "database-url"): url}))
        for server in servers:
            server.wait_ready(container["readinessProbe"]["httpGet"]["path"], timeout=30)
            assert _get(server.url(container["livenessProbe"]["httpGet"]["path"])) == 200
        for index, server in enumerate(servers):
            assert _post_model(server, f"through-pod{index}") == 201
        for server in servers:
            assert _model_names(server) == {f"through-pod{i}" for i in range(replicas)}
    finally:
        codes = [server.stop() for server in servers]
    assert codes == [0] * replicas
    for server in servers:
        assert server.root_writes() == []
