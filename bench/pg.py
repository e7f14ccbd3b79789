"""The PostgreSQL side of the benchmark (bench/bench.py --postgres, see
docs/BENCHMARKS.md): a cluster to run on, a seeded template database copied
from the SQLite seed, fresh run databases made from it, and the CPU time the
cluster's processes use.

Only psql is needed (Debian's postgresql-client); rows go in with COPY.
"""

import os
import re
import shutil
import subprocess

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
CLUSTER_SCRIPT = os.path.join(REPO_ROOT, "scripts", "pg-test-cluster.sh")

# Parents before children: the property tables and attribution reference them.
TABLES = ["context", "context_property", "artifact", "artifact_property", "attribution",
          "execution", "execution_property"]
# The tables with identity ids, whose sequences must continue after the copied ids.
ID_TABLES = ["context", "artifact", "execution"]

_URI = re.compile(r"^(postgres(?:ql)?://[^/?]*)(/[^?]*)?(\?.*)?$")


def with_dbname(url, dbname):
    """`url` (a libpq URI or key=value string) naming database `dbname`."""
    match = _URI.match(url)
    if match:
        return f"{match.group(1)}/{dbname}{match.group(3) or ''}"
    return f"{url} dbname={dbname}"  # a later keyword overrides an earlier one


def psql_binary():
    found = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    if not os.path.exists(found):
        raise RuntimeError("psql not found (apt-get install postgresql-client)")
    return found


def _copy_text(value):
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


class Cluster:
    """A PostgreSQL cluster the benchmark creates its databases (mr_bench_*)
    in: the one `url` names (its role needs CREATEDB), or, without a URL, a
    throw-away cluster from scripts/pg-test-cluster.sh, removed by stop()."""

    def __init__(self, url=None):
        self.psql = psql_binary()
        self.owned = url is None
        if self.owned:
            self.url = subprocess.run([CLUSTER_SCRIPT, "start"], check=True, text=True,
                                      stdout=subprocess.PIPE).stdout.strip()
        else:
            self.url = url

    def stop(self):
        if self.owned and self.url:
            subprocess.run([CLUSTER_SCRIPT, "stop", self.url], check=False)
            self.url = None

    def url_for(self, dbname):
        return with_dbname(self.url, dbname)

    def query(self, sql, dbname=None, stdin=None):
        """Runs sql; returns its output rows as lists of strings."""
        url = self.url_for(dbname) if dbname else self.url
        out = subprocess.run([self.psql, url, "-X", "-q", "-A", "-t", "-F", "\t",
                              "-v", "ON_ERROR_STOP=1", "-c", sql], input=stdin, text=True,
                             capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {out.stderr.strip()}")
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def exists(self, dbname):
        return bool(self.query(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'"))

    def drop(self, dbname):
        self.query(f'DROP DATABASE IF EXISTS "{dbname}"')

    def create(self, dbname, template=None):
        """A new database; a copy of `template` (file-level, fast) if given."""
        self.drop(dbname)
        self.query(f'CREATE DATABASE "{dbname}"' +
                   (f' TEMPLATE "{template}"' if template else ""))

    def settings(self, dbname):
        """What a server's sessions on dbname run with (for the report)."""
        names = ["server_version", "fsync", "synchronous_commit", "shared_buffers"]
        row = self.query("SELECT " + ", ".join(f"current_setting('{n}')" for n in names),
                         dbname)[0]
        return dict(zip(names, row))

    def size_mib(self, dbname):
        return int(self.query(f"SELECT pg_database_size('{dbname}')")[0][0]) / 1024 / 1024

    def postmaster_pid(self):
        """The cluster's postmaster, when it runs on this machine (its
        checkpointer's parent), else None."""
        rows = self.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
        try:
            with open(f"/proc/{rows[0][0]}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
        except (IndexError, OSError, ValueError):
            return None

    def copy_from_sqlite(self, dbname, sqlite_file):
        """Copies every row of the registry tables of the SQLite file into the
        (migrated, empty) PostgreSQL database, ids included, in one transaction,
        then moves the id sequences past the copied ids."""
        import sqlite3  # noqa: PLC0415 (only the seeding needs it)

        pg_columns = {}
        for table, column in self.query(
                "SELECT table_name, column_name FROM information_schema.columns "
                f"WHERE table_schema = 'public' AND table_name IN "
                f"({', '.join(repr(t) for t in TABLES)})", dbname):
            pg_columns.setdefault(table, set()).add(column)
        proc = subprocess.Popen([self.psql, self.url_for(dbname), "-X", "-q",
                                 "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, text=True,
                                stdout=subprocess.DEVNULL)
        try:
            with sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True) as db:
                proc.stdin.write("BEGIN;\n")
                for table in TABLES:
                    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
                    missing = [c for c in columns if c not in pg_columns.get(table, ())]
                    if missing:
                        raise RuntimeError(f"PostgreSQL table {table} lacks {missing}")
                    listed = ", ".join(columns)
                    proc.stdin.write(f"COPY {table} ({listed}) FROM STDIN;\n")
                    cursor = db.execute(f"SELECT {listed} FROM {table}")
                    while True:
                        rows = cursor.fetchmany(10000)
                        if not rows:
                            break
                        proc.stdin.write("".join(
                            "\t".join(_copy_text(v) for v in row) + "\n" for row in rows))
                    proc.stdin.write("\\.\n")
                for table in ID_TABLES:
                    proc.stdin.write(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 1), "
                        f"(SELECT count(*) > 0 FROM {table}));\n")
                proc.stdin.write("COMMIT;\n")
        finally:
            proc.stdin.close()
            if proc.wait() != 0:
                raise RuntimeError(f"copying {sqlite_file} into {dbname} failed")
        # Statistics and the visibility map, as autovacuum would leave them
        # after a bulk load (and a template copy keeps them).
        self.query("VACUUM (ANALYZE)", dbname)

    def rename(self, old, new):
        self.drop(new)
        self.query(f'ALTER DATABASE "{old}" RENAME TO "{new}"')


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def tree_cpu_seconds(postmaster):
    """CPU seconds used so far by the postmaster and its processes: its own
    user + system time, the time of its children that have exited (cutime,
    cstime), and that of the ones still running. A difference of two readings
    is the cluster's CPU time in between."""
    if postmaster is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    fields = _stat_fields(postmaster)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
        except OSError:
            continue  # exited meanwhile: its time is in the postmaster's cutime now
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / ticks
