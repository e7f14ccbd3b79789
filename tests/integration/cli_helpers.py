"""Helpers for the command-line suites: run the real binary as a subprocess."""
import os
import sqlite3
import subprocess

from conftest import binary_path

# Exit codes, as docs/CLI.md lists them.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_NOT_FOUND, EXIT_AUTH = 0, 1, 2, 3, 4, 5


def run_cli(*args, env=None, input=None, timeout=30):
    """Runs `model-registry ARGS`; MR_* variables of the caller are dropped so
    a developer's environment cannot change a test."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MR_") or k == "MR_BINARY"}
    return subprocess.run([binary_path(), *[str(a) for a in args]], capture_output=True,
                          text=True, timeout=timeout, input=input, env=dict(base, **(env or {})))


def expect_failure(result, code, message):
    """The command failed with `code` and printed exactly one line,
    `model-registry: MESSAGE`, and nothing on stdout."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == f"model-registry: {message}\n", result.stderr
    assert result.stdout == ""


def expect_ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result


def schema_version(db_file):
    with sqlite3.connect(db_file) as db:
        return db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
