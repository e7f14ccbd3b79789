#!/usr/bin/env python3
"""The model-registry benchmark: seeds a database, starts the real server and
drives it with wrk on 127.0.0.1. Run it through bench/run.sh, which builds the
Release binaries first; see docs/BENCHMARKS.md.

Every load is bounded: each wrk run lasts --duration seconds (at most 10), the
durability check sends requests for about two seconds, and only 127.0.0.1 is
ever contacted (and, with --postgres --database-url, that PostgreSQL cluster).
Targets are reported, never asserted.
"""

import argparse
import atexit
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import pg

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DATA_DIR = os.path.join(BENCH_DIR, ".data")
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
LUA_DIR = os.path.join(BENCH_DIR, "lua")
API = "/api/model_registry/v1alpha3"
HOST = "127.0.0.1"

SCALES = {"1k": 1_000, "100k": 100_000, "1m": 1_000_000}
# Bump when bench/seed.cpp changes what it writes, so cached seeds are rebuilt.
SEED_FORMAT = 2
DEFAULT_CONNECTIONS = [1, 8, 32, 64]
FILTER = 'framework="pytorch"'
RARE_FILTER = 'framework="nope"'
COLD_START_RUNS = 7

# The targets. Reported with the figures; nothing here fails a run.
TARGET_GET_RATIO = 0.70
TARGET_LIST_P50_MS = 10.0
TARGET_LIST_P99_MS = 50.0
TARGET_CREATES_PER_S = 5000.0
TARGET_RSS_MB = 30.0
TARGET_COLD_START_MS = 50.0


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=10.0):
    """Returns (status, body bytes) of GET path on the server."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_json(port, method, path, body=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10.0)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None
    finally:
        conn.close()


def health_ok(port):
    """One raw readiness probe; True when /readyz/health answers 200."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as s:
            s.sendall(f"GET {API}/readyz/health HTTP/1.1\r\nHost: bench\r\n"
                      "Connection: close\r\n\r\n".encode())
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cpu_seconds(pid):
    """User + system CPU seconds used so far by pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile of pid in MiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                number = int(value.split()[0])
                out[key] = number if key == "Threads" else round(number / 1024.0, 1)
    return out


# Servers still running; stopped at exit, whatever ended the run.
_LIVE_SERVERS = set()


def _stop_live_servers():
    for server in list(_LIVE_SERVERS):
        server.stop()


atexit.register(_stop_live_servers)


class Server:
    """One model-registry process on 127.0.0.1."""

    def __init__(self, binary, db_file, extra_args=(), database_url=None):
        self.binary = binary
        self.db_file = db_file
        self.database_url = database_url  # PostgreSQL instead of the SQLite db_file
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self.log_file = None

    def start(self, timeout=120.0):
        """Starts the server; returns seconds from exec to the first 200 on
        /readyz/health, polled in a tight loop."""
        self.port = free_port()
        self.log_file = open(os.path.join(DATA_DIR, "server.log"), "ab")
        database = (["--database-url", self.database_url] if self.database_url
                    else ["--db-file", self.db_file])
        args = [self.binary, "serve", "--hostname", HOST, "--port", str(self.port)] + \
            database + self.extra_args
        started = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=self.log_file)
        _LIVE_SERVERS.add(self)
        deadline = started + timeout
        while not health_ok(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see "
                                   f"{DATA_DIR}/server.log")
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError("server did not become ready")
            time.sleep(0.0002)
        return time.perf_counter() - started

    def status(self):
        return proc_status(self.proc.pid)

    def stop(self):
        _LIVE_SERVERS.discard(self)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def kill9(self):
        _LIVE_SERVERS.discard(self)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        if self.log_file:
            self.log_file.close()
            self.log_file = None


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def models_for(versions):
    # Mirrors bench/seed.cpp.
    return max(2, versions // 100)


def schema_version(db_file):
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
        return db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]


def seed(args, scale):
    """Returns the cached seed of `scale` for the benchmarked binary's schema,
    building it when missing: the server migrates an empty file, then mr_seed
    fills it."""
    versions = SCALES[scale]
    fresh = os.path.join(DATA_DIR, f"seed-{scale}.tmp.db")
    remove_db(fresh)
    server = Server(args.server_binary, fresh)
    server.start()
    server.stop()
    version = schema_version(fresh)
    path = os.path.join(DATA_DIR, f"seed-{scale}-f{SEED_FORMAT}-schema{version}.db")
    info_path = path + ".json"
    if os.path.exists(path) and os.path.exists(info_path) and not args.reseed:
        remove_db(fresh)
        with open(info_path) as f:
            info = json.load(f)
        log(f"using cached seed {path}")
        return path, info
    log(f"seeding {versions} model versions into a schema-{version} database")
    started = time.perf_counter()
    subprocess.run([args.seed_binary, "--db", fresh, "--versions", str(versions)], check=True)
    info = {
        "versions": versions,
        "models": models_for(versions),
        "artifacts": versions,
        "seed_seconds": round(time.perf_counter() - started, 1),
    }
    remove_db(path)
    os.replace(fresh, path)
    remove_db(fresh)
    with open(info_path, "w") as f:
        json.dump(info, f)
    return path, info


def save_report(base, report, markdown):
    """Writes bench/results/<base>.md and .json and prints the markdown."""
    with open(os.path.join(RESULTS_DIR, base + ".md"), "w") as f:
        f.write(markdown)
    with open(os.path.join(RESULTS_DIR, base + ".json"), "w") as f:
        json.dump(report, f, indent=1)
    print(markdown)
    log(f"wrote bench/results/{base}.md")


def verify_seed(port, info):
    """Checks through the API that seeded rows read back as the server's own."""
    models = info["models"]
    first_version = models + 1
    problems = []

    def expect(condition, what):
        if not condition:
            problems.append(what)

    status, rm = http_json(port, "GET", f"{API}/registered_models/1")
    expect(status == 200 and rm["name"] == "bench-model-1" and rm["owner"] == "bench"
           and rm["state"] == "LIVE" and "team" in rm.get("customProperties", {}),
           f"registered model 1: {status} {rm}")
    status, found = http_json(port, "GET", f"{API}/registered_model?name=bench-model-{models}")
    expect(status == 200 and found["id"] == str(models), f"find bench-model-{models}: {status}")
    status, mv = http_json(port, "GET", f"{API}/model_versions/{first_version}")
    custom = (mv or {}).get("customProperties", {})
    expect(status == 200 and mv["name"] == "v0" and mv["registeredModelId"] == "1"
           and mv["state"] == "LIVE"
           and custom.get("framework", {}).get("string_value") == "pytorch"
           and custom.get("epochs", {}).get("metadataType") == "MetadataIntValue"
           and custom.get("accuracy", {}).get("metadataType") == "MetadataDoubleValue"
           and custom.get("validated", {}).get("bool_value") is True,
           f"model version {first_version}: {status} {mv}")
    status, found = http_json(port, "GET", f"{API}/model_version?name=v0&parentResourceId=1")
    expect(status == 200 and found["id"] == str(first_version), f"find v0 of model 1: {status}")
    status, page = http_json(port, "GET", f"{API}/model_versions/{first_version}/artifacts")
    items = (page or {}).get("items", [])
    expect(status == 200 and len(items) == 1 and items[0]["name"] == "bench-model-1"
           and items[0]["artifactType"] == "model-artifact" and items[0]["state"] == "UNKNOWN",
           f"artifacts of version {first_version}: {status} {page}")
    query = urllib.parse.quote(FILTER)
    status, page = http_json(port, "GET",
                             f"{API}/registered_models/2/versions?pageSize=100&filterQuery={query}")
    items = (page or {}).get("items", [])
    expect(status == 200 and items and all(
        i["customProperties"]["framework"]["string_value"] == "pytorch" for i in items),
        f"filtered versions of model 2: {status}")
    if problems:
        raise RuntimeError("seeded data does not read back correctly: " + "; ".join(problems))


def collect_tokens(port, path, pages):
    """Walks `path` and returns the nextPageToken of pages 1..pages ("" first)."""
    tokens = [""]
    while len(tokens) < pages:
        url = path + (f"&nextPageToken={tokens[-1]}" if tokens[-1] else "")
        status, body = http_get(port, url)
        if status != 200:
            raise RuntimeError(f"GET {url}: {status}")
        token = json.loads(body).get("nextPageToken", "")
        if not token:
            break
        # Tokens are base64 with '=' padding: send them URL-encoded, as the
        # Python client does.
        tokens.append(urllib.parse.quote(token, safe=""))
    return tokens


def run_wrk(port, script, env, connections, duration, per_connection_threads=False,
            server_pid=None, more_ports=(), server_pids=(), db_postmaster=None):
    """One wrk run against the server on `port`. With `more_ports`, wrk's
    threads alternate between port, *more_ports (replicas; see common.lua).
    Server CPU is summed over server_pid and server_pids; with db_postmaster,
    the PostgreSQL cluster's CPU is measured too."""
    threads = connections if per_connection_threads else min(connections, 2)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
           "-s", os.path.join(LUA_DIR, script), f"http://{HOST}:{port}"]
    full_env = dict(os.environ, BENCH_LUA_DIR=LUA_DIR, BENCH_API=API, **env)
    # Names created by a run must not collide with an earlier run's.
    full_env["BENCH_NONCE"] = f"{env.get('BENCH_NONCE', 'n')}c{connections}"
    if more_ports:
        full_env["BENCH_TARGETS"] = ",".join(f"{HOST}:{p}" for p in (port, *more_ports))
    pids = ([server_pid] if server_pid else []) + list(server_pids)

    server_cpu = sum(cpu_seconds(pid) for pid in pids)
    db_cpu = pg.tree_cpu_seconds(db_postmaster) if db_postmaster else 0.0
    client_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, env=full_env, capture_output=True, text=True,
                         timeout=duration + 60)
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_cpu
    db_cpu = pg.tree_cpu_seconds(db_postmaster) - db_cpu if db_postmaster else 0.0
    match = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.MULTILINE)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["connections"] = connections
    result["load"] = load
    # CPU time per request is far less sensitive than req/s to other work on
    # a shared machine: it says what a request costs, not what was left over.
    requests = max(result["requests"], 1)
    result["server_cpu_us"] = server_cpu * 1e6 / requests
    if db_postmaster:
        result["db_cpu_us"] = db_cpu * 1e6 / requests
    result["client_cpu_us"] = ((client_after.ru_utime + client_after.ru_stime) -
                               (client_cpu.ru_utime + client_cpu.ru_stime)) * 1e6 / requests
    result["errors"] = (result["errors_connect"] + result["errors_read"] +
                        result["errors_write"] + result["errors_timeout"])
    return result


def scenarios(info, tokens_filtered, tokens_walk, nonce):
    models, versions = info["models"], info["versions"]
    filtered = f"{API}/registered_models/1/versions?pageSize=100&filterQuery=" + \
        urllib.parse.quote(FILTER)
    common = {"BENCH_NONCE": nonce, "BENCH_LO": "1", "BENCH_HI": str(models),
              "BENCH_VLO": str(models + 1), "BENCH_VHI": str(models + versions)}
    out = [
        ("hello", "GET /hello (constant body, same HTTP stack): the ceiling",
         "get.lua", {"BENCH_PATH": "/hello"}, False),
        ("get_model", "GET /registered_models/{random id}",
         "get.lua", {"BENCH_PATH": f"{API}/registered_models/{{n}}"}, False),
        ("find_model", "GET /registered_model?name=bench-model-{random}",
         "get.lua", {"BENCH_PATH": f"{API}/registered_model?name=bench-model-{{n}}"}, False),
        ("list_filtered_p1",
         f"GET versions of the big model (10% of all), pageSize=100, filterQuery={FILTER}, page 1",
         "get.lua", {"BENCH_PATH": filtered}, False),
    ]
    if len(tokens_filtered) >= 20:
        out.append(("list_filtered_p20", "the same list, page 20 (nextPageToken)", "get.lua",
                    {"BENCH_PATH": filtered + "&nextPageToken=" + tokens_filtered[19]}, False))
    out += [
        ("list_rare_value",
         f"GET /model_versions?pageSize=100&filterQuery={RARE_FILTER} (a value no version has)",
         "get.lua", {"BENCH_PATH": f"{API}/model_versions?pageSize=100&filterQuery=" +
                     urllib.parse.quote(RARE_FILTER)}, False),
        ("list_common_value",
         f"GET /model_versions?pageSize=100&filterQuery={FILTER} (a quarter of all versions)",
         "get.lua", {"BENCH_PATH": f"{API}/model_versions?pageSize=100&filterQuery=" +
                     urllib.parse.quote(FILTER)}, False),
        ("walk_20_pages",
         f"GET /model_versions?pageSize=100&orderBy=CREATE_TIME&sortOrder=DESC, pages 1..{len(tokens_walk)} in turn",
         "walk.lua", {"BENCH_PATH": f"{API}/model_versions?pageSize=100&orderBy=CREATE_TIME"
                      "&sortOrder=DESC", "BENCH_TOKENS": ",".join(tokens_walk)}, False),
        ("create_version", "POST /model_versions (4 custom properties), one create per request",
         "create_version.lua", {}, False),
        ("register_flow",
         "register_model: find RM (404), POST RM, find MV (404), POST MV, POST artifact",
         "register.lua", {}, True),
        ("mix_90_10", "90% reads (get MV/RM by id, find, filtered list) / 10% creates",
         "mix.lua", {}, False),
    ]
    return [(name, desc, script, dict(common, **env), per_conn)
            for name, desc, script, env, per_conn in out]


def durability_check(args, db_file, seconds=2.0, writers=8):
    """Creates models from `writers` threads, SIGKILLs the server mid-load,
    restarts it and checks that every acknowledged (201) create is there."""
    server = Server(args.server_binary, db_file, args.server_arg)
    server.start()
    port = server.port
    acknowledged = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def writer(index):
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            try:
                status, body = http_json(port, "POST", f"{API}/registered_models",
                                         {"name": f"durable-{os.getpid()}-{index}-{n}-{time.time_ns()}"})
            except (OSError, http.client.HTTPException):
                return
            if status == 201:
                with lock:
                    acknowledged.append(body["id"])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    time.sleep(seconds * 0.8)
    server.kill9()  # while the writers are still sending
    for t in threads:
        t.join()
    server = Server(args.server_binary, db_file, args.server_arg)
    server.start()
    missing = [i for i in acknowledged
               if http_get(server.port, f"{API}/registered_models/{i}")[0] != 200]
    server.stop()
    return {"acknowledged": len(acknowledged), "missing_after_restart": len(missing)}


def explain_plans(db_file):
    """EXPLAIN QUERY PLAN of the benchmarked statements on the run database."""
    shapes = {
        "find model by name":
            "SELECT e.id FROM context e WHERE e.type_id = 1 AND e.name = 'bench-model-7' "
            "ORDER BY e.id ASC LIMIT 3",
        "find version by name under model":
            "SELECT e.id FROM context e WHERE e.type_id = 2 AND e.parent_id = 1 "
            "AND e.name = 'v7' ORDER BY e.id ASC LIMIT 3",
        "filtered versions of a model":
            "SELECT e.id FROM context e WHERE e.type_id = 2 AND e.parent_id = 1 AND "
            "(EXISTS (SELECT 1 FROM context_property p WHERE p.owner_id = e.id AND "
            "p.name = 'framework' AND p.is_custom = 1 AND p.string_value = 'pytorch')) "
            "AND e.id > 5000 ORDER BY e.id ASC LIMIT 101",
        "versions by create time, newest first, after a cursor":
            "SELECT e.id FROM context e WHERE e.type_id = 2 AND (e.create_time, e.id) < (?, ?) "
            "ORDER BY e.create_time DESC, e.id DESC LIMIT 101",
        "artifacts of a version":
            "SELECT e.id FROM artifact e JOIN attribution a ON a.artifact_id = e.id AND "
            "a.context_id = 1001 WHERE e.type_id IN (11, 12, 13, 14, 15) ORDER BY e.id ASC LIMIT 101",
        "highest stored timestamp (server start)":
            "SELECT coalesce(max(update_time), 0) FROM context",
    }
    out = {}
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
        for name, sql in shapes.items():
            params = (0, 0) if "?" in sql else ()
            rows = db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            out[name] = [row[-1] for row in rows]
    return out


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["cpu"] = re.search(r"Model name:\s*(.*)", lscpu).group(1).strip()
    except (OSError, AttributeError):
        info["cpu"] = "unknown"
    with open("/proc/meminfo") as f:
        info["mem_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    info["sqlite"] = sqlite3.sqlite_version
    try:
        info["commit"] = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "-C", REPO_ROOT, "status", "--porcelain",
                                  "--untracked-files=no", "--", "src", "include"],
                                 capture_output=True, text=True).stdout.split()
        if changed:
            info["commit"] += " + uncommitted changes to " + ", ".join(
                f for f in changed if "/" in f)
    except OSError:
        info["commit"] = "unknown"
    return info


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def fmt_ms(us):
    return f"{us / 1000.0:.2f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def errors_text(name, r):
    """The errors column: socket errors, bad statuses; flows for register_flow."""
    errors = []
    if r["errors"]:
        errors.append(f"{r['errors']} socket")
    if name == "register_flow":
        errors.append(f"{r['flows']} flows ({r['flows'] / (r['duration_us'] / 1e6):.0f}/s)")
        if r["unexpected"]:
            errors.append(f"{r['unexpected']} unexpected status")
    elif r["errors_status"] or r["unexpected"]:
        errors.append(f"{max(r['errors_status'], r['unexpected'])} bad status")
    return "; ".join(errors) or "0"


def render(report):
    lines = []
    m = report["machine"]
    lines.append(f"# model-registry benchmark: {report['scale']} "
                 f"({report['info']['versions']:,} model versions)")
    lines.append("")
    lines.append(f"- date: {report['date']}; commit {m['commit']}; label: {report['label'] or '-'}")
    lines.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB RAM, "
                 f"Linux {m['kernel']}, SQLite {m['sqlite']}")
    lines.append(f"- load average before / after: {report['load_before']} / {report['load_after']}"
                 " (the machine is shared; client and server share the same 2 CPUs)")
    lines.append(f"- data: {report['info']['models']:,} registered models, "
                 f"{report['info']['versions']:,} versions, {report['info']['artifacts']:,} "
                 f"model artifacts; database {report['db_mib']:.0f} MiB; seeded in "
                 f"{report['info']['seed_seconds']} s")
    lines.append(f"- server: `{' '.join(report['server_args']) or '(defaults)'}`; each run "
                 f"{report['duration']} s of wrk, threads = min(connections, 2) "
                 "(register_flow: one thread per connection)")
    lines.append("")
    lines.append("| scenario | conns | req/s | p50 ms | p99 ms | vs hello | server CPU µs/req "
                 "| wrk CPU µs/req | errors |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    hello = {r["connections"]: r["rps"] for r in report["results"].get("hello", [])}
    for name, runs in report["results"].items():
        for r in runs:
            ratio = r["rps"] / hello[r["connections"]] if hello.get(r["connections"]) else 0
            lines.append(f"| {name} | {r['connections']} | {r['rps']:,.0f} | {fmt_ms(r['p50_us'])} "
                         f"| {fmt_ms(r['p99_us'])} | {ratio:.0%} | {r['server_cpu_us']:.0f} "
                         f"| {r['client_cpu_us']:.0f} | {errors_text(name, r)} |")
    lines.append("")
    lines.append("Scenarios:")
    for name, desc in report["descriptions"].items():
        lines.append(f"- `{name}`: {desc}")
    lines.append("")

    def at(name, conns):
        for r in report["results"].get(name, []):
            if r["connections"] == conns:
                return r
        return None

    lines.append("## Targets (reported, not asserted)")
    lines.append("")
    lines.append("| target | measured | verdict |")
    lines.append("|---|---|---|")
    get32, hello32 = at("get_model", 32), at("hello", 32)
    if get32 and hello32:
        ratio = get32["rps"] / hello32["rps"]
        cpu_ratio = hello32["server_cpu_us"] / max(get32["server_cpu_us"], 1e-9)
        lines.append(f"| GET by id @32 ≥ {TARGET_GET_RATIO:.0%} of hello | {get32['rps']:,.0f} / "
                     f"{hello32['rps']:,.0f} req/s = {ratio:.0%}; by server CPU per request "
                     f"{hello32['server_cpu_us']:.0f} / {get32['server_cpu_us']:.0f} µs = {cpu_ratio:.0%} "
                     f"| {verdict(ratio >= TARGET_GET_RATIO)} |")
    for conns in (1, 32):
        p1 = at("list_filtered_p1", conns)
        if p1:
            ok = p1["p50_us"] / 1000 <= TARGET_LIST_P50_MS and p1["p99_us"] / 1000 <= TARGET_LIST_P99_MS
            lines.append(f"| filtered list of 100, p50 ≤ {TARGET_LIST_P50_MS:.0f} ms, p99 ≤ "
                         f"{TARGET_LIST_P99_MS:.0f} ms @{conns} | p50 {fmt_ms(p1['p50_us'])} ms, "
                         f"p99 {fmt_ms(p1['p99_us'])} ms | {verdict(ok)} |")
        p20 = at("list_filtered_p20", conns)
        if p1 and p20:
            ratio = p20["p50_us"] / p1["p50_us"]
            lines.append(f"| page 20 costs no more than page 1 @{conns} | p50 page 20 / page 1 = "
                         f"{ratio:.2f} ({p20['rps']:,.0f} vs {p1['rps']:,.0f} req/s) | "
                         f"{verdict(ratio <= 1.10)} |")
    c32 = at("create_version", 32)
    if c32:
        lines.append(f"| ≥ {TARGET_CREATES_PER_S:,.0f} durable creates/s @32 | {c32['rps']:,.0f}/s "
                     "(WAL, synchronous=NORMAL: survives kill -9) | "
                     f"{verdict(c32['rps'] >= TARGET_CREATES_PER_S)} |")
    if report.get("sync_full"):
        s = report["sync_full"]
        lines.append(f"| same with --sync-full (WAL fsynced before each reply: survives power loss) | "
                     f"{s['rps']:,.0f}/s, p50 {fmt_ms(s['p50_us'])} ms | "
                     f"{verdict(s['rps'] >= TARGET_CREATES_PER_S)} |")
    rss = report["rss"]
    lines.append(f"| RSS idle ≤ {TARGET_RSS_MB:.0f} MB | empty db {rss['idle_empty_db'].get('VmRSS')} MiB; "
                 f"{report['scale']} db {rss['idle_seeded'].get('VmRSS')} MiB "
                 f"(anon {rss['idle_seeded'].get('RssAnon')}, file {rss['idle_seeded'].get('RssFile')}) | "
                 f"{verdict(rss['idle_seeded'].get('VmRSS', 1e9) <= TARGET_RSS_MB)} |")
    cold = report["cold_start_ms"]
    lines.append(f"| cold start ≤ {TARGET_COLD_START_MS:.0f} ms (exec to first 200 on /readyz/health) | "
                 f"median {statistics.median(cold):.1f} ms (min {min(cold):.1f}, max {max(cold):.1f}, "
                 f"{len(cold)} starts, OS page cache warm) | "
                 f"{verdict(statistics.median(cold) <= TARGET_COLD_START_MS)} |")
    lines.append("")
    lines.append(f"- RSS after the load: {rss['after_load'].get('VmRSS')} MiB "
                 f"(peak {rss['after_load'].get('VmHWM')} MiB, anon {rss['after_load'].get('RssAnon')}, "
                 f"{rss['after_load'].get('Threads')} threads)")
    if report.get("durability"):
        d = report["durability"]
        lines.append(f"- kill -9 check: {d['acknowledged']} creates acknowledged (201) before SIGKILL "
                     f"mid-load, {d['missing_after_restart']} missing after restart")
    lines.append("")
    lines.append("## Query plans on this database")
    lines.append("")
    for name, plan in report["plans"].items():
        lines.append(f"- {name}: `{' / '.join(plan)}`")
    lines.append("")
    return "\n".join(lines)


# --- SQLite against PostgreSQL with 1 and 2 replicas (--postgres) -----------

# The configurations a --postgres run compares, in the order each cell runs.
CONFIGS = [("sqlite", "SQLite, 1 server"), ("pg1", "PostgreSQL, 1 replica"),
           ("pg2", "PostgreSQL, 2 replicas")]


def seed_postgres(args, cluster, scale, sqlite_seed):
    """Returns the name of a template database holding the same data set as
    the SQLite seed, and the seconds it took to fill (0 when reused): a server
    migrates an empty database, then the SQLite seed's rows are copied in."""
    fresh = f"mr_bench_tmp_{os.getpid()}"
    cluster.create(fresh)
    server = Server(args.server_binary, None, database_url=cluster.url_for(fresh))
    server.start()
    server.stop()
    version = cluster.query("SELECT max(version) FROM schema_migrations", fresh)[0][0]
    name = f"mr_bench_seed_{scale}_f{SEED_FORMAT}_schema{version}"
    if cluster.exists(name) and not args.reseed:
        cluster.drop(fresh)
        log(f"using the seeded PostgreSQL database {name}")
        return name, 0.0
    log(f"copying the {scale} seed into PostgreSQL (schema {version})")
    started = time.perf_counter()
    cluster.copy_from_sqlite(fresh, sqlite_seed)
    cluster.rename(fresh, name)
    return name, round(time.perf_counter() - started, 1)


def compare_main(args, connections, only):
    """Every scenario against SQLite, PostgreSQL with 1 replica and with 2
    replicas, each on its own fresh copy of the same data set. All servers run
    for the whole run and each cell (scenario, connections) runs the three
    configurations back to back, so outside load hits them alike."""
    seed_file, info = seed(args, args.scale)
    cluster = pg.Cluster(args.database_url or None)
    atexit.register(lambda: (_stop_live_servers(), cluster.stop()))
    template, pg_seed_seconds = seed_postgres(args, cluster, args.scale, seed_file)
    run_db = os.path.join(DATA_DIR, f"run-{args.scale}.db")
    remove_db(run_db)
    shutil.copyfile(seed_file, run_db)
    databases = {"pg1": "mr_bench_run_1", "pg2": "mr_bench_run_2"}
    for dbname in databases.values():
        cluster.create(dbname, template)
        if cluster.owned:
            # The throw-away cluster runs with synchronous_commit off; on, a
            # commit reaches the OS before the reply, as SQLite's does here.
            cluster.query(f'ALTER DATABASE "{dbname}" SET synchronous_commit = on')

    server_args = args.server_arg + ["--hello-endpoint"]
    servers = {"sqlite": [Server(args.server_binary, run_db, server_args)]}
    for key, replicas in (("pg1", 1), ("pg2", 2)):
        url = cluster.url_for(databases[key])
        servers[key] = [Server(args.server_binary, None, server_args, database_url=url)
                        for _ in range(replicas)]
    report = {"mode": "postgres", "scale": args.scale, "info": info, "machine": machine_info(),
              "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
              "label": args.label, "duration": args.duration, "server_args": args.server_arg,
              "load_before": loadavg(), "results": {key: {} for key, _ in CONFIGS},
              "descriptions": {}, "db_mib": os.path.getsize(run_db) / 1024 / 1024,
              "pg": {"cluster": "throw-away (scripts/pg-test-cluster.sh)" if cluster.owned
                     else "given by --database-url",
                     "settings": cluster.settings(databases["pg1"]),
                     "seed_seconds": pg_seed_seconds,
                     "db_mib": cluster.size_mib(databases["pg1"])}}
    try:
        for key, group in servers.items():
            for server in group:
                server.start()
                verify_seed(server.port, info)
        postmaster = cluster.postmaster_pid()
        if postmaster is None:
            log("the PostgreSQL cluster is not on this machine: no database CPU figures")
        report["pg"]["cpu_measured"] = postmaster is not None
        filtered = f"{API}/registered_models/1/versions?pageSize=100&filterQuery=" + \
            urllib.parse.quote(FILTER)
        walk = f"{API}/model_versions?pageSize=100&orderBy=CREATE_TIME&sortOrder=DESC"
        nonce = f"{os.getpid()}{int(time.time()) % 100000}"
        plans = {}
        for key, group in servers.items():
            port = group[0].port
            plans[key] = scenarios(info, collect_tokens(port, filtered, 20),
                                   collect_tokens(port, walk, 20), f"{nonce}{key}")
        for index, (name, desc, _, _, _) in enumerate(plans["sqlite"]):
            if only and name not in only and name != "hello":
                continue
            report["descriptions"][name] = desc
            for conns in connections:
                for key, _ in CONFIGS:
                    _, _, script, env, per_conn = plans[key][index]
                    group = servers[key]
                    result = run_wrk(group[0].port, script, env, conns, args.duration, per_conn,
                                     more_ports=[s.port for s in group[1:]],
                                     server_pids=[s.proc.pid for s in group],
                                     db_postmaster=postmaster if key != "sqlite" else None)
                    report["results"][key].setdefault(name, []).append(result)
                    log(f"{name:18} c={conns:<3} {key:6} {result['rps']:9.0f} req/s  p50 "
                        f"{fmt_ms(result['p50_us'])} ms  p99 {fmt_ms(result['p99_us'])} ms  "
                        f"server {result['server_cpu_us']:.0f} µs/req  "
                        f"db {result.get('db_cpu_us', 0):.0f} µs/req")
    finally:
        for group in servers.values():
            for server in group:
                server.stop()
        for dbname in databases.values():
            cluster.drop(dbname)
        cluster.stop()
    remove_db(run_db)

    report["load_after"] = loadavg()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{args.scale}-{stamp}-postgres" + (f"-{args.label}" if args.label else "")
    markdown = render_compare(report)
    save_report(base, report, markdown)


def render_compare(report):
    m, settings = report["machine"], report["pg"]["settings"]
    loads = [r["load"] for runs in report["results"].values() for rs in runs.values() for r in rs]
    lines = [f"# model-registry benchmark: SQLite and PostgreSQL, {report['scale']} "
             f"({report['info']['versions']:,} model versions)", ""]
    lines.append(f"- date: {report['date']}; commit {m['commit']}; label: {report['label'] or '-'}")
    lines.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB RAM, "
                 f"Linux {m['kernel']}, SQLite {m['sqlite']}, PostgreSQL "
                 f"{settings['server_version']}")
    lines.append(f"- load average before / after: {report['load_before']} / {report['load_after']};"
                 f" 1-min load at the start of each wrk run: {min(loads, default=0):.1f}-"
                 f"{max(loads, default=0):.1f} (the machine is shared; wrk, the servers and "
                 "PostgreSQL share the same CPUs)")
    lines.append(f"- data: {report['info']['models']:,} registered models, "
                 f"{report['info']['versions']:,} versions, {report['info']['artifacts']:,} "
                 f"model artifacts; SQLite file {report['db_mib']:.0f} MiB; PostgreSQL database "
                 f"{report['pg']['db_mib']:.0f} MiB (copied from the SQLite seed with COPY, then "
                 f"VACUUM ANALYZE, in {report['pg']['seed_seconds']} s; 0 = reused)")
    lines.append(f"- PostgreSQL: {report['pg']['cluster']}, over a Unix socket; fsync="
                 f"{settings['fsync']}, synchronous_commit={settings['synchronous_commit']}, "
                 f"shared_buffers={settings['shared_buffers']}. Each configuration has its own "
                 "copy of the seeded template database")
    lines.append(f"- server: `{' '.join(report['server_args']) or '(defaults)'}`; each run "
                 f"{report['duration']} s of wrk, threads = min(connections, 2) "
                 "(register_flow: one thread per connection). 2 replicas: two server processes "
                 "on one database; wrk's threads alternate between them (common.lua, "
                 "BENCH_TARGETS), so at 1 connection only the first replica serves")
    lines.append("- server CPU: summed over the configuration's server processes; DB CPU: every "
                 "process of the PostgreSQL cluster (whatever else uses the cluster counts too)")
    lines.append("")

    def ratio(a, b):
        return f"{a / b:.0%}" if b else "-"

    def lookup(key, name, conns):
        for r in report["results"][key].get(name, []):
            if r["connections"] == conns:
                return r
        return None

    names = list(report["descriptions"])
    conn_counts = [r["connections"] for r in report["results"]["sqlite"].get("hello", [])]
    lines.append("## Summary: req/s (vs that configuration's hello; vs SQLite)")
    lines.append("")
    lines.append("| scenario | conns | " + " | ".join(label for _, label in CONFIGS) + " |")
    lines.append("|---|---:|" + "---:|" * len(CONFIGS))
    for name in names:
        for conns in conn_counts:
            cells = []
            base = lookup("sqlite", name, conns)
            for key, _ in CONFIGS:
                r, hello = lookup(key, name, conns), lookup(key, "hello", conns)
                if not r:
                    cells.append("-")
                    continue
                text = f"{r['rps']:,.0f} ({ratio(r['rps'], hello and hello['rps'])}"
                if key != "sqlite":
                    text += f"; {ratio(r['rps'], base and base['rps'])}"
                cells.append(text + ")")
            lines.append(f"| {name} | {conns} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("## Every run")
    lines.append("")
    lines.append("| scenario | conns | configuration | req/s | p50 ms | p99 ms | vs hello | vs SQLite "
                 "| server CPU µs/req | DB CPU µs/req | errors |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in names:
        for conns in conn_counts:
            base = lookup("sqlite", name, conns)
            for key, label in CONFIGS:
                r, hello = lookup(key, name, conns), lookup(key, "hello", conns)
                if not r:
                    continue
                db_cpu = f"{r['db_cpu_us']:.0f}" if "db_cpu_us" in r else "-"
                lines.append(
                    f"| {name} | {conns} | {label} | {r['rps']:,.0f} | {fmt_ms(r['p50_us'])} | "
                    f"{fmt_ms(r['p99_us'])} | {ratio(r['rps'], hello and hello['rps'])} | "
                    f"{ratio(r['rps'], base['rps']) if base and key != 'sqlite' else '-'} | "
                    f"{r['server_cpu_us']:.0f} | {db_cpu} | {errors_text(name, r)} |")
    lines.append("")
    lines.append("Scenarios:")
    for name, desc in report["descriptions"].items():
        lines.append(f"- `{name}`: {desc}")
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="1k")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (1..10)")
    parser.add_argument("--connections", default=",".join(map(str, DEFAULT_CONNECTIONS)))
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--label", default="", help="added to the result file name")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra argument for `model-registry serve` (repeatable)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached seed")
    parser.add_argument("--skip-extras", action="store_true",
                        help="skip cold start, --sync-full and kill -9 measurements")
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR",
                                                              os.path.join(REPO_ROOT, "build-bench")))
    parser.add_argument("--postgres", action="store_true",
                        help="compare SQLite with PostgreSQL (1 and 2 replicas) in one run, on "
                        "a throw-away cluster (scripts/pg-test-cluster.sh) unless --database-url")
    parser.add_argument("--database-url", default="",
                        help="with --postgres: a PostgreSQL URL whose role may create databases; "
                        "the seeded template (mr_bench_seed_*) stays there for the next run")
    parser.add_argument("--server-binary", default="",
                        help="benchmark this model-registry binary instead of the build's "
                        "(e.g. one built from an older commit, for before/after figures)")
    args = parser.parse_args()
    if not 1 <= args.duration <= 10:
        parser.error("--duration must be between 1 and 10 seconds")
    args.server_binary = args.server_binary or os.path.join(args.build_dir, "model-registry")
    args.seed_binary = os.path.join(args.build_dir, "mr_seed")
    connections = [int(c) for c in args.connections.split(",")]
    only = set(filter(None, args.only.split(",")))
    os.makedirs(DATA_DIR, exist_ok=True)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    if args.database_url and not args.postgres:
        parser.error("--database-url needs --postgres")
    if args.postgres:
        compare_main(args, connections, only)
        return

    seed_file, info = seed(args, args.scale)
    run_db = os.path.join(DATA_DIR, f"run-{args.scale}.db")
    remove_db(run_db)
    shutil.copyfile(seed_file, run_db)
    report = {"scale": args.scale, "info": info, "machine": machine_info(),
              "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
              "label": args.label, "duration": args.duration,
              "server_args": args.server_arg, "load_before": loadavg(), "results": {},
              "descriptions": {}, "rss": {}}

    empty_db = os.path.join(DATA_DIR, "empty.db")
    remove_db(empty_db)
    server = Server(args.server_binary, empty_db, args.server_arg)
    server.start()
    time.sleep(1.0)
    report["rss"]["idle_empty_db"] = server.status()
    server.stop()
    remove_db(empty_db)

    # A first start applies any migration newer than the cached seed, so the
    # timed starts below measure only a start.
    server = Server(args.server_binary, run_db, args.server_arg)
    server.start()
    verify_seed(server.port, info)
    server.stop()
    report["db_mib"] = os.path.getsize(run_db) / 1024 / 1024

    cold = []
    for _ in range(1 if args.skip_extras else COLD_START_RUNS):
        server = Server(args.server_binary, run_db, args.server_arg + ["--hello-endpoint"])
        cold.append(server.start() * 1000)
        if len(cold) < COLD_START_RUNS and not args.skip_extras:
            server.stop()
    report["cold_start_ms"] = cold
    log(f"cold start ms: {[round(c, 1) for c in cold]}")
    time.sleep(1.0)
    report["rss"]["idle_seeded"] = server.status()
    port = server.port

    filtered = f"{API}/registered_models/1/versions?pageSize=100&filterQuery=" + \
        urllib.parse.quote(FILTER)
    tokens_filtered = collect_tokens(port, filtered, 20)
    tokens_walk = collect_tokens(port, f"{API}/model_versions?pageSize=100&orderBy=CREATE_TIME"
                                 "&sortOrder=DESC", 20)
    nonce = f"{os.getpid()}{int(time.time()) % 100000}"
    try:
        for name, desc, script, env, per_conn in scenarios(info, tokens_filtered, tokens_walk, nonce):
            if only and name not in only and name != "hello":
                continue
            report["descriptions"][name] = desc
            for conns in connections:
                result = run_wrk(port, script, env, conns, args.duration, per_conn,
                                 server.proc.pid)
                report["results"].setdefault(name, []).append(result)
                log(f"{name:18} c={conns:<3} {result['rps']:9.0f} req/s  p50 "
                    f"{fmt_ms(result['p50_us'])} ms  p99 {fmt_ms(result['p99_us'])} ms  "
                    f"server {result['server_cpu_us']:.0f} µs/req")
        report["rss"]["after_load"] = server.status()
    finally:
        server.stop()

    if not args.skip_extras:
        server = Server(args.server_binary, run_db, args.server_arg + ["--sync-full"])
        server.start()
        try:
            env = {"BENCH_NONCE": nonce + "s", "BENCH_LO": "1", "BENCH_HI": str(info["models"])}
            report["sync_full"] = run_wrk(server.port, "create_version.lua", env, 32,
                                          args.duration, server_pid=server.proc.pid)
            log(f"create_version --sync-full c=32 {report['sync_full']['rps']:.0f} req/s")
        finally:
            server.stop()
        report["durability"] = durability_check(args, run_db)
        log(f"kill -9 check: {report['durability']}")

    report["plans"] = explain_plans(run_db)
    report["load_after"] = loadavg()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{args.scale}-{stamp}" + (f"-{args.label}" if args.label else "")
    markdown = render(report)
    save_report(base, report, markdown)


if __name__ == "__main__":
    main()
