"""The admin commands on a database file: migrate, backup, export, import."""
import json
import sqlite3
import threading

import pytest

from api_helpers import (create_artifact, create_experiment, create_is, create_run, create_se,
                         create_serve, metric_body, parameter_body, upsert_run_artifact)
from cli_helpers import (EXIT_FAILED, EXIT_USAGE, expect_failure, expect_ok, run_cli,
                         schema_version)
from conftest import RegistryServer
from helpers import expect_json, get, post, unique

# Every list route that together reaches every stored entity the API shows.
TOP_LEVEL_LISTS = ("/registered_models", "/model_versions", "/artifacts", "/model_artifacts",
                   "/serving_environments", "/inference_services", "/experiments",
                   "/experiment_runs")


def list_all(api, path):
    items, token = [], ""
    while True:
        page = expect_json(get(api, path, {"pageSize": "3", "nextPageToken": token}), 200)
        items += page["items"]
        token = page["nextPageToken"]
        if not token:
            return items


def everything(api):
    """Every entity the API can show, by list route, including the ones only
    reachable under a parent (serves, run metric history, version artifacts)."""
    seen = {path: list_all(api, path) for path in TOP_LEVEL_LISTS}
    for isvc in seen["/inference_services"]:
        path = f"/inference_services/{isvc['id']}/serves"
        seen[path] = list_all(api, path)
    for run in seen["/experiment_runs"]:
        for sub in ("metric_history", "artifacts"):
            path = f"/experiment_runs/{run['id']}/{sub}"
            seen[path] = list_all(api, path)
    for mv in seen["/model_versions"]:
        path = f"/model_versions/{mv['id']}/artifacts"
        seen[path] = list_all(api, path)
    return seen


def populate(api):
    """One of every kind, with custom properties of every type."""
    props = {"i": {"metadataType": "MetadataIntValue", "int_value": "-123456789"},
             "d": {"metadataType": "MetadataDoubleValue", "double_value": 0.1},
             "b": {"metadataType": "MetadataBoolValue", "bool_value": True},
             "s": {"metadataType": "MetadataStringValue", "string_value": "ünïcode \"q\"\n"},
             "st": {"metadataType": "MetadataStructValue", "struct_value": "eyJhIjogMX0="}}
    rm = expect_json(post(api, "/registered_models", {"name": unique("rm"), "owner": "o",
                                                      "externalId": unique("x"),
                                                      "description": "d",
                                                      "customProperties": props}), 201)
    expect_json(post(api, "/registered_models", {"name": unique("rm2")}), 201)
    mv = expect_json(post(api, "/model_versions", {"name": "v1", "registeredModelId": rm["id"],
                                                   "author": "a", "customProperties": props}),
                     201)
    expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                     {"artifactType": "model-artifact", "name": "weights", "uri": "s3://b/w",
                      "modelFormatName": "onnx", "modelFormatVersion": "1",
                      "customProperties": props}), 201)
    expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                     {"artifactType": "doc-artifact", "name": "readme", "uri": "s3://b/r"}), 201)
    create_artifact(api, "dataset-artifact", uri="s3://b/data.csv")
    se = create_se(api)
    isvc = create_is(api, se["id"], rm["id"], modelVersionId=mv["id"], runtime="kserve")
    create_serve(api, isvc["id"], mv["id"])
    run = create_run(api, create_experiment(api)["id"])
    for step in (1, 2):
        upsert_run_artifact(api, run["id"], metric_body("loss", 1.0 / step, step=step))
    upsert_run_artifact(api, run["id"], parameter_body("lr", "0.01"))


def test_migrate_creates_then_reports_the_version(tmp_path):
    db = tmp_path / "new.db"
    first = expect_ok(run_cli("migrate", "--db-file", db))
    version = schema_version(db)
    assert version >= 1
    assert first.stdout == f"schema version {version}\n"
    assert first.stderr == f"migrated {db} from schema version 0 to {version}\n"
    again = expect_ok(run_cli("migrate", "--db-file", db))
    assert (again.stdout, again.stderr) == (f"schema version {version}\n", "")


def test_migrate_beside_a_running_server_changes_nothing(tmp_path):
    srv = RegistryServer(str(tmp_path / "live.db")).start()
    try:
        expect_json(post(srv.api, "/registered_models", {"name": "before"}), 201)
        result = expect_ok(run_cli("migrate", "--db-file", srv.db_file))
        assert (result.stdout, result.stderr) == (
            f"schema version {schema_version(srv.db_file)}\n", "")
        expect_json(post(srv.api, "/registered_models", {"name": "after"}), 201)
        assert [m["name"] for m in list_all(srv.api, "/registered_models")] == ["before", "after"]
    finally:
        srv.stop()


# Migration 4 only adds these indexes: dropping them and its row leaves a schema-3 file.
LAST_MIGRATION_INDEXES = ("context_property_by_string", "artifact_property_by_string",
                          "execution_property_by_string")


def roll_back_last_migration(db):
    with sqlite3.connect(db) as conn:
        for index in LAST_MIGRATION_INDEXES:
            conn.execute(f"DROP INDEX {index}")
        conn.execute("DELETE FROM schema_migrations WHERE version = 4")


def test_migrate_refuses_pending_migrations_under_a_running_server(tmp_path):
    srv = RegistryServer(str(tmp_path / "live.db")).start()
    try:
        latest = schema_version(srv.db_file)
        # As if the server were an older binary: the file lacks the last migration.
        roll_back_last_migration(srv.db_file)
        expect_failure(run_cli("migrate", "--db-file", srv.db_file), EXIT_FAILED,
                       f"database {srv.db_file} (schema version 3) is in use by a "
                       f"model-registry server; stop it to migrate to schema version {latest}")
        assert schema_version(srv.db_file) == 3
        expect_json(post(srv.api, "/registered_models", {"name": "served"}), 201)
    finally:
        srv.stop()
    result = expect_ok(run_cli("migrate", "--db-file", srv.db_file))
    assert result.stderr == f"migrated {srv.db_file} from schema version 3 to {latest}\n"


def test_migrate_applies_a_pending_migration(tmp_path):
    db = str(tmp_path / "old.db")
    expect_ok(run_cli("migrate", "--db-file", db))
    latest = schema_version(db)
    roll_back_last_migration(db)
    result = expect_ok(run_cli("migrate", "--db-file", db))
    assert result.stdout == f"schema version {latest}\n"
    assert result.stderr == f"migrated {db} from schema version 3 to {latest}\n"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                            "name LIKE '%_property_by_string'").fetchone() == (len(LAST_MIGRATION_INDEXES),)


def test_migrate_refuses_a_newer_schema(tmp_path):
    db = str(tmp_path / "newer.db")
    expect_ok(run_cli("migrate", "--db-file", db))
    latest = schema_version(db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0, 0)")
    expect_failure(run_cli("migrate", "--db-file", db), EXIT_FAILED,
                   f"database schema version 999 is newer than this "
                   f"binary supports ({latest})")


def test_backup_while_a_server_writes(tmp_path):
    src = RegistryServer(str(tmp_path / "live.db")).start()
    stop = threading.Event()
    written = []

    def writer():
        while not stop.is_set():
            written.append(expect_json(post(src.api, "/registered_models",
                                            {"name": unique("w")}), 201))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        copies = [tmp_path / f"copy{i}.db" for i in range(3)]
        for copy in copies:
            result = expect_ok(run_cli("backup", "--db-file", src.db_file, copy))
            assert result.stderr.startswith(f"backed up {src.db_file} to {copy}")
    finally:
        stop.set()
        thread.join()
    try:
        by_id = {m["id"]: m for m in list_all(src.api, "/registered_models")}
        assert len(by_id) == len(written) >= 20
        for copy in copies:
            with sqlite3.connect(copy) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            served = RegistryServer(str(copy)).start()
            try:
                copied = list_all(served.api, "/registered_models")
            finally:
                served.stop()
            # A snapshot of sequential writes is a prefix of them, unchanged.
            assert copied, "the copy holds no models"
            assert copied == [by_id[m["id"]] for m in copied]
            assert [m["id"] for m in copied] == sorted((m["id"] for m in written),
                                                       key=int)[:len(copied)]
    finally:
        src.stop()


def test_export_while_a_server_writes_is_one_snapshot(tmp_path):
    src = RegistryServer(str(tmp_path / "busy.db")).start()
    stop = threading.Event()
    written = []

    def writer():
        while not stop.is_set():
            rm = expect_json(post(src.api, "/registered_models", {"name": unique("w")}), 201)
            mv = expect_json(post(src.api, "/model_versions",
                                  {"name": "v", "registeredModelId": rm["id"]}), 201)
            written.append((rm, mv))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 10:
            stop.wait(0.01)
        dump = expect_ok(run_cli("export", "--db-file", src.db_file)).stdout
    finally:
        stop.set()
        thread.join()
        src.stop()
    target = tmp_path / "copy.db"
    expect_ok(run_cli("import", "--db-file", target, "-", input=dump))
    dst = RegistryServer(str(target)).start()
    try:
        models = list_all(dst.api, "/registered_models")
        versions = list_all(dst.api, "/model_versions")
    finally:
        dst.stop()
    # Each model's version is written in a separate request after it, so a
    # snapshot holds a prefix of the models and the same or one fewer versions.
    assert [m["id"] for m in models] == [rm["id"] for rm, _ in written[:len(models)]]
    assert models == [rm for rm, _ in written[:len(models)]]
    assert len(models) - 1 <= len(versions) <= len(models)
    assert versions == [mv for _, mv in written[:len(versions)]]


def test_backup_errors(tmp_path):
    db = tmp_path / "a.db"
    expect_ok(run_cli("migrate", "--db-file", db))
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    expect_failure(run_cli("backup", "--db-file", db, existing), EXIT_FAILED,
                   f"{existing} already exists")
    assert existing.read_text() == "keep me"
    missing = tmp_path / "missing.db"
    expect_failure(run_cli("backup", "--db-file", missing, tmp_path / "c.db"), EXIT_FAILED,
                   f"cannot open database {missing}: unable to open database file")
    assert not missing.exists() and not (tmp_path / "c.db").exists()
    expect_failure(run_cli("backup", "--db-file", db, tmp_path / "no-dir" / "c.db"), EXIT_FAILED,
                   f"backup to {tmp_path / 'no-dir' / 'c.db'} failed: unable to open database "
                   "file")
    not_db = tmp_path / "text.db"
    not_db.write_text("hello")
    expect_failure(run_cli("backup", "--db-file", not_db, tmp_path / "d.db"), EXIT_FAILED,
                   f"cannot open database {not_db}: file is not a database")
    result = run_cli("backup", "--db-file", db)
    assert result.returncode == EXIT_USAGE
    assert result.stderr == "model-registry: DEST is required (see --help)\n"


def test_export_import_round_trip_through_the_api(tmp_path):
    src = RegistryServer(str(tmp_path / "src.db")).start()
    try:
        populate(src.api)
        before = everything(src.api)
        dump = tmp_path / "dump.ndjson"
        exported = expect_ok(run_cli("export", "--db-file", src.db_file, "-o", dump))
        to_stdout = expect_ok(run_cli("export", "--db-file", src.db_file))
    finally:
        src.stop()
    assert to_stdout.stdout == dump.read_text()
    records = [json.loads(line) for line in dump.read_text().splitlines()]
    assert records[0] == {"record": "header", "format": "model-registry-export", "version": 1,
                          "schemaVersion": schema_version(src.db_file)}
    entities = [r for r in records if r["record"] == "entity"]
    links = [r for r in records if r["record"] == "link"]
    assert records[-1] == {"record": "end", "entities": len(entities), "links": len(links)}
    assert exported.stderr == f"exported {len(entities)} entities and {len(links)} links\n"
    assert {r["kind"] for r in entities} == {
        "registered-model", "model-version", "serving-environment", "inference-service",
        "experiment", "experiment-run", "model-artifact", "doc-artifact", "dataset-artifact",
        "metric", "parameter", "metric-history", "serve-model"}

    target = tmp_path / "fresh" / "dst.db"
    target.parent.mkdir()
    imported = expect_ok(run_cli("import", "--db-file", target, dump))
    assert imported.stderr == (f"imported {len(entities)} entities and {len(links)} links "
                               f"into {target}\n")
    # An export of the imported database is byte-identical.
    assert expect_ok(run_cli("export", "--db-file", target)).stdout == dump.read_text()
    dst = RegistryServer(str(target)).start()
    try:
        after = everything(dst.api)
        assert after.keys() == before.keys()
        for path in before:
            assert after[path] == before[path], path
        # New ids continue after the imported ones; new timestamps are later.
        fresh = expect_json(post(dst.api, "/registered_models", {"name": unique("new")}), 201)
        old = before["/registered_models"]
        assert int(fresh["id"]) > max(int(m["id"]) for m in old)
    finally:
        dst.stop()


@pytest.fixture
def dump(tmp_path):
    """A small valid export: one model, one version, one artifact, one link."""
    src = RegistryServer(str(tmp_path / "small.db")).start()
    try:
        rm = expect_json(post(src.api, "/registered_models", {"name": "m"}), 201)
        mv = expect_json(post(src.api, "/model_versions",
                              {"name": "v", "registeredModelId": rm["id"]}), 201)
        expect_json(post(src.api, f"/model_versions/{mv['id']}/artifacts",
                         {"artifactType": "model-artifact", "uri": "s3://x"}), 201)
    finally:
        src.stop()
    lines = expect_ok(run_cli("export", "--db-file", src.db_file)).stdout.splitlines()
    assert len(lines) == 6
    return lines


def entity_count(db_file):
    with sqlite3.connect(db_file) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in ("context", "artifact", "execution"))


@pytest.mark.parametrize("edit, message", [
    (lambda ls: ls[:-1], "the file is truncated: no end record"),
    (lambda ls: ls[:2] + ["{oops"] + ls[2:], "line 3: not a JSON object"),
    (lambda ls: ['{"hello": 1}'] + ls[1:], "line 1: not a model-registry export (no header record)"),
    (lambda ls: [ls[0].replace('"version":1', '"version":2')] + ls[1:],
     "line 1: unsupported export format version (this binary reads version 1)"),
    (lambda ls: ls[:1] + [ls[1].replace('"registered-model"', '"model"')] + ls[2:],
     'line 2: unknown kind "model"'),
    (lambda ls: ls[:1] + [ls[1].replace('"id":1', '"id":"1"')] + ls[2:],
     'line 2: "id" must be an integer'),
    (lambda ls: ls[:1] + [ls[1].replace('"fields":{', '"fields":{"bogus":"x",')] + ls[2:],
     'line 2: unknown field "bogus" for kind registered-model'),
    (lambda ls: ls[:1] + [ls[1].replace('"customProperties":{}',
                                        '"customProperties":{"k":{"int":"5"}}')] + ls[2:],
     'line 2: custom property "k" must be one of {"string"|"int"|"double"|"bool"|"struct": '
     'value}'),
    (lambda ls: ls[:2] + [ls[2].replace('"parentId":1', '"parentId":5')] + ls[3:],
     "line 3: model-version 2 names parent 5, which is not in the file"),
    (lambda ls: ls[:4] + [ls[4].replace('"artifactId":1', '"artifactId":7')] + ls[5:],
     "line 5: link 2 -> 7 names an entity not exported before it"),
    (lambda ls: ls[:2] + [ls[2].replace('"id":2', '"id":1')] + ls[3:],
     "line 3: model version id 1 is already taken"),
    (lambda ls: ls[:-1] + ['{"record":"end","entities":2,"links":1}'],
     "line 6: the end record counts 2 entities and 1 links, the file holds 3 and 1"),
    (lambda ls: ls + [ls[1]], "line 7: a record after the end record"),
    (lambda ls: ls[:1] + ['{"record":"note"}'] + ls[1:], 'line 2: unknown record type "note"'),
])
def test_import_rejects_bad_files_and_writes_nothing(tmp_path, dump, edit, message):
    bad = tmp_path / "bad.ndjson"
    bad.write_text("\n".join(edit(list(dump))) + "\n")
    target = tmp_path / "target.db"
    expect_failure(run_cli("import", "--db-file", target, bad), EXIT_FAILED, message)
    assert entity_count(target) == 0


def test_import_needs_an_empty_database_and_reads_stdin(tmp_path, dump):
    target = tmp_path / "t.db"
    text = "\n".join(dump) + "\n"
    expect_ok(run_cli("import", "--db-file", target, "-", input=text))
    expect_failure(run_cli("import", "--db-file", target, "-", input=text), EXIT_FAILED,
                   f"database {target} already holds 3 entities; import needs an empty database")
    expect_failure(run_cli("import", "--db-file", target, tmp_path / "nope.ndjson"), EXIT_FAILED,
                   f"cannot read {tmp_path / 'nope.ndjson'}")


def test_import_refuses_a_database_a_server_runs_on(tmp_path, dump):
    srv = RegistryServer(str(tmp_path / "served.db")).start()
    try:
        expect_failure(run_cli("import", "--db-file", srv.db_file, "-",
                               input="\n".join(dump) + "\n"), EXIT_FAILED,
                       f"database {srv.db_file} is in use by another model-registry server")
        assert list_all(srv.api, "/registered_models") == []
    finally:
        srv.stop()


def test_export_errors(tmp_path):
    missing = tmp_path / "missing.db"
    expect_failure(run_cli("export", "--db-file", missing), EXIT_FAILED,
                   f"cannot open database {missing}: unable to open database file")
    assert not missing.exists()
    db = str(tmp_path / "old.db")
    expect_ok(run_cli("migrate", "--db-file", db))
    with sqlite3.connect(db) as conn:
        latest = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (latest,))
    expect_failure(run_cli("export", "--db-file", db), EXIT_FAILED,
                   f"database schema version {latest - 1} differs from this binary's {latest}; "
                   "run `model-registry migrate` first")
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    expect_failure(run_cli("export", "--db-file", foreign), EXIT_FAILED,
                   f"{foreign} is not a model registry database")


def test_export_to_a_file_replaces_it_whole(tmp_path):
    db = tmp_path / "e.db"
    expect_ok(run_cli("migrate", "--db-file", db))
    out = tmp_path / "out.ndjson"
    out.write_text("old content\n")
    expect_ok(run_cli("export", "--db-file", db, "-o", out))
    assert out.read_text().startswith('{"record":"header"')
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.ndjson"]
    target = tmp_path / "no-dir" / "x.ndjson"
    expect_failure(run_cli("export", "--db-file", db, "-o", target), EXIT_FAILED,
                   f"cannot write {target}")


def test_database_url_and_environment(tmp_path):
    db = tmp_path / "u.db"
    assert expect_ok(run_cli("migrate", "--database-url", f"sqlite:{db}")).stdout.startswith(
        "schema version ")
    assert db.exists()
    env_db = tmp_path / "env.db"
    expect_ok(run_cli("migrate", env={"MR_DB_FILE": str(env_db)}))
    assert env_db.exists()
    # Any other URL selects PostgreSQL (test_cli_admin_pg.py); one libpq cannot parse is a
    # usage error, before anything is opened or created.
    for command in (("migrate",), ("export",), ("import", "-"), ("backup", tmp_path / "y")):
        expect_failure(run_cli(*command, "--database-url", "registry.db", input=""), EXIT_USAGE,
                       'invalid database URL: missing "=" after "registry.db" in connection '
                       'info string')
    assert not (tmp_path / "y").exists()
    for command in ("migrate", "export", "import", "backup"):
        help_text = expect_ok(run_cli(command, "--help")).stdout
        assert "--db-file" in help_text and "--database-url" in help_text
        assert "PostgreSQL connection URI" in help_text
