"""scripts/pg-test-cluster.sh leaves no cluster behind: a start that fails or is killed (a
suite's timeout signals its whole process group) removes what it made, `stop-owned` stops the
clusters that a killed suite started (scripts/test.sh runs it after every suite), and a start
removes the directories of earlier clusters whose server was killed with their session.

Needs the PostgreSQL server binaries (scripts/install-deps.sh); each start is bounded."""
import os
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import REPO_ROOT

SCRIPT = os.path.join(REPO_ROOT, "scripts", "pg-test-cluster.sh")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
BOUND = 90  # seconds for one start or stop; initdb and pg_ctl -w -t 30 take a few

pytestmark = pytest.mark.skipif(not os.access(os.path.join(PG_BIN, "initdb"), os.X_OK),
                                reason=f"no PostgreSQL server binaries in {PG_BIN}")


def script(*args, owner=None, pg_bin=PG_BIN):
    env = dict(os.environ, PG_BIN=pg_bin, MR_PG_CLUSTER_OWNER=owner or "")
    return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True,
                          timeout=BOUND)


def start(owner):
    result = script("start", owner=owner)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    return url, url.split("host=", 1)[1].split("&", 1)[0]


def answers(url):
    return subprocess.run(["psql", url, "-Atc", "SELECT 1"], capture_output=True, text=True,
                          timeout=30).stdout.strip() == "1"


def test_stop_owned_stops_the_clusters_of_that_owner_only():
    mine, theirs = f"pytest-{uuid.uuid4().hex}", f"pytest-{uuid.uuid4().hex}"
    url, directory = start(mine)
    other_url, other_directory = start(theirs)
    try:
        assert answers(url) and answers(other_url)
        stopped = script("stop-owned", mine)
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.split() == [directory]
        assert not os.path.exists(directory)
        assert answers(other_url)
        assert script("stop-owned", mine).stdout == ""
    finally:
        script("stop-owned", mine)
        script("stop-owned", theirs)
    assert not os.path.exists(other_directory)


@pytest.fixture
def fake_pg_bin():
    """A PG_BIN whose initdb is the real one and whose pg_ctl records the data directory it
    gets in calls.log, then fails a start, or hangs in it with `hang` (stop succeeds)."""
    directory = tempfile.mkdtemp(prefix="mr-fake-pg-bin.")
    os.chmod(directory, 0o777)  # the script runs them as nobody when it runs as root
    os.symlink(os.path.join(PG_BIN, "initdb"), os.path.join(directory, "initdb"))
    pg_ctl = os.path.join(directory, "pg_ctl")
    with open(pg_ctl, "w") as f:
        f.write(f"""#!/bin/sh
echo "$*" >> {directory}/calls.log
case " $* " in *" stop "*) exit 0 ;; esac
[ -e {directory}/hang ] && exec sleep 60
exit 1
""")
    os.chmod(pg_ctl, 0o755)
    yield directory
    subprocess.run(["rm", "-rf", directory], check=True)


def data_directories(fake_pg_bin):
    """The -D arguments pg_ctl got."""
    with open(os.path.join(fake_pg_bin, "calls.log")) as log:
        calls = [line.split() for line in log]
    return {words[i + 1] for words in calls for i, word in enumerate(words[:-1]) if word == "-D"}


def test_a_start_that_fails_leaves_no_directory(fake_pg_bin):
    result = script("start", pg_bin=fake_pg_bin)
    assert result.returncode != 0 and "pg_ctl start failed" in result.stderr
    made = data_directories(fake_pg_bin)
    assert len(made) == 1, made
    assert not os.path.exists(os.path.dirname(made.pop()))


def test_a_start_killed_by_a_timeout_leaves_no_directory(fake_pg_bin):
    open(os.path.join(fake_pg_bin, "hang"), "w").close()
    env = dict(os.environ, PG_BIN=fake_pg_bin)
    # As `timeout` does: SIGTERM to the whole process group, the hanging pg_ctl included.
    proc = subprocess.Popen([SCRIPT, "start"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + BOUND
        while not os.path.exists(os.path.join(fake_pg_bin, "calls.log")):
            assert time.monotonic() < deadline and proc.poll() is None, "pg_ctl never ran"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=BOUND)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    made = data_directories(fake_pg_bin)
    assert len(made) == 1, made
    assert not os.path.exists(os.path.dirname(made.pop()))


def test_a_start_removes_old_clusters_whose_server_is_gone():
    def leftover(minutes_old, postmaster_pid):
        directory = tempfile.mkdtemp(prefix="mr-pg.", dir="/tmp")
        os.makedirs(os.path.join(directory, "data"))
        with open(os.path.join(directory, "data", "postmaster.pid"), "w") as f:
            f.write(f"{postmaster_pid}\n{directory}/data\n")
        then = time.time() - minutes_old * 60
        os.utime(directory, (then, then))
        return directory

    no_such_pid = 4194305  # above the largest pid_max Linux allows
    dead_and_old = leftover(20, no_such_pid)
    dead_but_new = leftover(1, no_such_pid)  # may be a start still in progress
    running = leftover(20, os.getpid())
    owner = f"pytest-{uuid.uuid4().hex}"
    try:
        start(owner)
        assert not os.path.exists(dead_and_old)
        assert os.path.isdir(dead_but_new) and os.path.isdir(running)
    finally:
        script("stop-owned", owner)
        subprocess.run(["rm", "-rf", dead_and_old, dead_but_new, running], check=True)
