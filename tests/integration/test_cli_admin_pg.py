"""The admin commands on PostgreSQL (issue 12 point 2, issue 9 point 6): export, import,
migrate and backup with --database-url, and moving a registry between SQLite and PostgreSQL.
Runs only with MR_TEST_DATABASE_URL (scripts/test.sh's postgres suite). Each test gets its
own databases: conftest maps a file name to a PostgreSQL database."""
import contextlib
import os
import sqlite3
import subprocess
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from api_helpers import (create_artifact, create_experiment, create_is, create_run, create_se,
                         create_serve)
from cli_helpers import EXIT_FAILED, EXIT_USAGE, expect_failure, expect_ok, run_cli
from conftest import RegistryServer, _postgres_url_for
from helpers import expect_json, post, unique
from test_cli_admin import everything, list_all, populate

pytestmark = pytest.mark.skipif(not os.environ.get("MR_TEST_DATABASE_URL"),
                                reason="needs MR_TEST_DATABASE_URL (a PostgreSQL server)")

# Values at the edges of what each custom property type holds (the API takes ints of
# at most nine decimal digits).
EDGE_PROPERTIES = {
    "max": {"metadataType": "MetadataIntValue", "int_value": "999999999"},
    "min": {"metadataType": "MetadataIntValue", "int_value": "-999999999"},
    "tiny": {"metadataType": "MetadataDoubleValue", "double_value": 5e-324},
    "huge": {"metadataType": "MetadataDoubleValue", "double_value": 1.7976931348623157e308},
    "third": {"metadataType": "MetadataDoubleValue", "double_value": 1 / 3},
    "no": {"metadataType": "MetadataBoolValue", "bool_value": False},
    "text": {"metadataType": "MetadataStringValue", "string_value": "模型 🚀 ß\t'; DROP --"},
    "empty": {"metadataType": "MetadataStringValue", "string_value": ""},
}


@contextlib.contextmanager
def on_sqlite():
    """Servers started inside run on their SQLite file, not on PostgreSQL."""
    saved = os.environ.pop("MR_TEST_DATABASE_URL")
    try:
        yield
    finally:
        os.environ["MR_TEST_DATABASE_URL"] = saved


def sqlite_server(db_file):
    with on_sqlite():
        return RegistryServer(str(db_file)).start()


def pg_database(tmp_path, name):
    """(stand-in file name, URL) of a new, empty PostgreSQL database."""
    db_file = str(tmp_path / f"{name}.pg")
    return db_file, _postgres_url_for(db_file)


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True,
                          text=True, timeout=30).stdout.strip()


def entity_count(url):
    return int(psql(url, "SELECT (SELECT count(*) FROM context) + (SELECT count(*) FROM "
                         "artifact) + (SELECT count(*) FROM execution)"))


def populate_all(api):
    populate(api)
    expect_json(post(api, "/registered_models", {"name": "édge ✓", "description": "多言語",
                                                 "customProperties": EDGE_PROPERTIES}), 201)


def create_one_of_each(api):
    """New entities of every kind through the API: all 201, with fresh ids."""
    rm = expect_json(post(api, "/registered_models", {"name": unique("after")}), 201)
    mv = expect_json(post(api, "/model_versions", {"name": "v", "registeredModelId": rm["id"]}),
                     201)
    art = expect_json(post(api, f"/model_versions/{mv['id']}/artifacts",
                           {"artifactType": "model-artifact", "uri": "s3://after"}), 201)
    create_artifact(api, "doc-artifact", uri="s3://after-doc")
    se = create_se(api)
    isvc = create_is(api, se["id"], rm["id"], modelVersionId=mv["id"])
    serve = create_serve(api, isvc["id"], mv["id"])
    run = create_run(api, create_experiment(api)["id"])
    return {"/registered_models": rm, "/model_versions": mv, "/artifacts": art,
            "/serving_environments": se, "/inference_services": isvc, "/experiment_runs": run,
            "serve": serve}


def test_round_trip_sqlite_postgres_sqlite_is_lossless(tmp_path):
    src = sqlite_server(tmp_path / "src.db")
    try:
        populate_all(src.api)
        before = everything(src.api)
    finally:
        src.stop()
    from_sqlite = tmp_path / "from-sqlite.ndjson"
    expect_ok(run_cli("export", "--db-file", src.db_file, "-o", from_sqlite))

    pg_file, pg_url = pg_database(tmp_path, "moved")
    lines = from_sqlite.read_text().splitlines()
    links = sum('"record":"link"' in line for line in lines)
    imported = expect_ok(run_cli("import", "--database-url", pg_url, from_sqlite))
    assert imported.stderr == (f"imported {len(lines) - 2 - links} entities and {links} links "
                               "into the PostgreSQL database\n")
    pg = RegistryServer(pg_file).start()
    try:
        on_pg = everything(pg.api)
        assert on_pg.keys() == before.keys()
        for path in before:
            assert on_pg[path] == before[path], path
        from_pg = tmp_path / "from-pg.ndjson"
        expect_ok(run_cli("export", "--database-url", pg_url, "-o", from_pg))
        # New creates on the imported database get ids the import did not use.
        created = create_one_of_each(pg.api)
        for path, entity in created.items():
            if path in before:
                assert int(entity["id"]) > max(int(e["id"]) for e in before[path]), path
    finally:
        pg.stop()
    # The header names each backend's own schema version; every other line is identical.
    pg_lines = from_pg.read_text().splitlines()
    assert pg_lines[1:] == lines[1:]

    back = tmp_path / "back.db"
    expect_ok(run_cli("import", "--db-file", back, from_pg))
    assert expect_ok(run_cli("export", "--db-file", back)).stdout == from_sqlite.read_text()
    dst = sqlite_server(back)
    try:
        after = everything(dst.api)
    finally:
        dst.stop()
    assert after.keys() == before.keys()
    for path in before:
        assert after[path] == before[path], path


def test_import_needs_an_empty_postgres_database(tmp_path):
    src = sqlite_server(tmp_path / "s.db")
    try:
        populate(src.api)
    finally:
        src.stop()
    dump = expect_ok(run_cli("export", "--db-file", src.db_file)).stdout
    _, url = pg_database(tmp_path, "target")
    expect_ok(run_cli("import", "--database-url", url, "-", input=dump))
    count = entity_count(url)
    expect_failure(run_cli("import", "--database-url", url, "-", input=dump), EXIT_FAILED,
                   f"the database already holds {count} entities; import needs an empty "
                   "database")
    assert entity_count(url) == count
    # A bad file writes nothing, on PostgreSQL too.
    _, empty = pg_database(tmp_path, "empty")
    truncated = "\n".join(dump.splitlines()[:-1]) + "\n"
    expect_failure(run_cli("import", "--database-url", empty, "-", input=truncated),
                   EXIT_FAILED, "the file is truncated: no end record")
    assert entity_count(empty) == 0


def test_two_imports_at_once_into_one_database_land_once(tmp_path):
    src = sqlite_server(tmp_path / "s.db")
    try:
        populate(src.api)
        for i in range(200):
            expect_json(post(src.api, "/registered_models", {"name": f"bulk-{i}"}), 201)
    finally:
        src.stop()
    dump = tmp_path / "dump.ndjson"
    expect_ok(run_cli("export", "--db-file", src.db_file, "-o", dump))
    _, url = pg_database(tmp_path, "contested")
    barrier = threading.Barrier(2)
    results = [None, None]

    def one(index):
        barrier.wait(timeout=30)
        results[index] = run_cli("import", "--database-url", url, dump, timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.returncode for r in results)
    assert codes == [0, EXIT_FAILED], [(r.returncode, r.stderr) for r in results]
    loser = next(r for r in results if r.returncode != 0)
    lines = dump.read_text().splitlines()
    entities = sum('"record":"entity"' in x for x in lines)
    assert loser.stderr == (f"model-registry: the database already holds {entities} entities; "
                            "import needs an empty database\n")
    assert entity_count(url) == entities


def writer_thread(api, written, stop):
    def write():
        while not stop.is_set():
            rm = expect_json(post(api, "/registered_models", {"name": unique("w")}), 201)
            mv = expect_json(post(api, "/model_versions",
                                  {"name": "v", "registeredModelId": rm["id"]}), 201)
            written.append((rm, mv))

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_export_and_backup_of_postgres_under_writes_are_snapshots(tmp_path):
    pg_file, url = pg_database(tmp_path, "busy")
    pg = RegistryServer(pg_file).start()
    stop = threading.Event()
    written = []
    thread = writer_thread(pg.api, written, stop)
    copies = [tmp_path / f"copy{i}.db" for i in range(2)]
    try:
        while len(written) < 10:
            stop.wait(0.01)
        dump = expect_ok(run_cli("export", "--database-url", url)).stdout
        for copy in copies:
            result = expect_ok(run_cli("backup", "--database-url", url, copy))
            assert result.stderr.startswith(f"backed up the PostgreSQL database to {copy} (")
    finally:
        stop.set()
        thread.join()
    try:
        # Once the writes stop, a backup holds exactly what the server serves.
        final = tmp_path / "final.db"
        expect_ok(run_cli("backup", "--database-url", url, final))
        served = everything(pg.api)
    finally:
        pg.stop()

    target = tmp_path / "from-export.db"
    expect_ok(run_cli("import", "--db-file", target, "-", input=dump))
    for db in [target] + copies:
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        srv = sqlite_server(db)
        try:
            models = list_all(srv.api, "/registered_models")
            versions = list_all(srv.api, "/model_versions")
        finally:
            srv.stop()
        # Sequential writes: a snapshot holds a prefix of them, each version after its model.
        assert models, db
        assert models == [rm for rm, _ in written[:len(models)]], db
        assert len(models) - 1 <= len(versions) <= len(models), db
        assert versions == [mv for _, mv in written[:len(versions)]], db
    with sqlite3.connect(final) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    srv = sqlite_server(final)
    try:
        assert everything(srv.api) == served
        # The copy is a working registry: new ids continue after the copied ones.
        rm = expect_json(post(srv.api, "/registered_models", {"name": unique("new")}), 201)
        assert int(rm["id"]) > max(int(m["id"]) for m in served["/registered_models"])
    finally:
        srv.stop()


def test_backup_of_postgres_errors(tmp_path):
    _, url = pg_database(tmp_path, "b")
    expect_ok(run_cli("migrate", "--database-url", url))
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    expect_failure(run_cli("backup", "--database-url", url, existing), EXIT_FAILED,
                   f"{existing} already exists")
    assert existing.read_text() == "keep me"
    missing_dir = tmp_path / "no-dir" / "c.db"
    result = run_cli("backup", "--database-url", url, missing_dir)
    assert result.returncode == EXIT_FAILED
    assert result.stderr.startswith(f"model-registry: cannot create {missing_dir}: ")
    assert result.stderr.count("\n") == 1
    assert not missing_dir.parent.exists()


def key_value_form(url):
    """The libpq key=value string for a URL of the form conftest builds."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return " ".join(f"{k}={v}" for k, v in dict(query, dbname=parts.path.lstrip("/")).items())


def test_migrate_on_postgres_in_every_url_form(tmp_path):
    _, url = pg_database(tmp_path, "m")
    first = expect_ok(run_cli("migrate", "--database-url", url))
    version = int(psql(url, "SELECT max(version) FROM schema_migrations"))
    assert first.stdout == f"schema version {version}\n"
    assert first.stderr == f"migrated the PostgreSQL database from schema version 0 to {version}\n"
    assert url.startswith("postgresql://")
    for form in (url, "postgres://" + url[len("postgresql://"):], key_value_form(url)):
        again = expect_ok(run_cli("migrate", "--database-url", form))
        assert (again.stdout, again.stderr) == (f"schema version {version}\n", "")
    from_env = expect_ok(run_cli("migrate", env={"MR_DATABASE_URL": key_value_form(url)}))
    assert from_env.stdout == f"schema version {version}\n"
    # A schema from a newer binary is refused, never downgraded.
    psql(url, "INSERT INTO schema_migrations VALUES (999, 'future', 0, 0)")
    expect_failure(run_cli("migrate", "--database-url", url), EXIT_FAILED,
                   f"database schema version 999 is newer than this binary supports ({version})")
    expect_failure(run_cli("export", "--database-url", url), EXIT_FAILED,
                   f"database schema version 999 differs from this binary's {version}; run "
                   "`model-registry migrate` first")


def test_migrate_beside_servers_starting_on_postgres_applies_each_migration_once(tmp_path):
    pg_file, url = pg_database(tmp_path, "live")
    servers = [RegistryServer(pg_file) for _ in range(2)]
    runs = []
    starters = [threading.Thread(target=s.start) for s in servers]
    try:
        for t in starters:
            t.start()
        runs = [run_cli("migrate", "--database-url", url) for _ in range(2)]
        for t in starters:
            t.join()
        for run in runs:
            assert run.returncode == 0, run.stderr
            assert run.stdout == "schema version 3\n"
        assert psql(url, "SELECT count(*), max(version) FROM schema_migrations") == "3|3"
        expect_json(post(servers[0].api, "/registered_models", {"name": "still"}), 201)
    finally:
        for s in servers:
            s.stop()


def test_export_of_a_database_without_the_registry_schema(tmp_path):
    _, url = pg_database(tmp_path, "bare")
    expect_failure(run_cli("export", "--database-url", url), EXIT_FAILED,
                   "the database is not a model registry database")
    assert psql(url, "SELECT to_regclass('schema_migrations') IS NULL") == "t"
    expect_failure(run_cli("backup", "--database-url", url, tmp_path / "x.db"), EXIT_FAILED,
                   "the database is not a model registry database")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("command", [("migrate",), ("export",), ("import", "-"), ("backup",)])
def test_bad_database_urls_fail_in_one_line(tmp_path, command):
    if command == ("backup",):
        command = ("backup", tmp_path / "dest.db")
    expect_failure(run_cli(*command, "--database-url", "postgresql://[::1", input=""),
                   EXIT_USAGE, 'invalid database URL: end of string reached when looking for '
                   'matching "]" in IPv6 host address in URI: "postgresql://[::1"')
    expect_failure(run_cli(*command, "--database-url", "registry", input=""), EXIT_USAGE,
                   'invalid database URL: missing "=" after "registry" in connection info '
                   'string')
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    result = run_cli(*command, "--database-url", "postgresql://127.0.0.1:1/registry", input="")
    assert result.returncode == EXIT_FAILED, result.stderr
    assert result.stderr.startswith('model-registry: cannot connect to the database: connection '
                                    'to server at "127.0.0.1", port 1 failed: Connection refused')
    assert result.stderr.count("\n") == 1 and result.stdout == ""
