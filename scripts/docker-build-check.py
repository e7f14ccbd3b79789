#!/usr/bin/env python3
"""Checks the Dockerfile without a Docker engine by replaying what it describes.

Usage:
  scripts/docker-build-check.py                  static checks only
  scripts/docker-build-check.py --binary PATH    static checks, then the runtime stage is
                                                 simulated around an already-built binary
  scripts/docker-build-check.py --full           static checks, then the build stage is
                                                 replayed in a temporary directory (its COPY
                                                 and RUN lines, on this host) and the runtime
                                                 stage is simulated around its result

Static checks: the stages are based on debian:12; every script the Dockerfile calls exists,
is executable, passes `bash -n` and is also run by scripts/test.sh (so CI exercises it);
COPY sources survive .dockerignore; the runtime packages exist in apt; the final stage runs as
a non-root user, exposes 8080, declares the data volume, sets the MR_* variables and has a
health check on the readiness route.

Runtime simulation: every shared library the binary loads must come from the runtime package
set or its dependencies; the binary is started exactly as ENTRYPOINT/CMD/ENV say (host, port
and data directory remapped to loopback, a free port and a temp dir; as an unprivileged user
when run as root), and the HEALTHCHECK command itself must succeed against it.
"""
import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/var/lib/model-registry"
STARTUP_TIMEOUT_S = 20


class CheckFailed(Exception):
    pass


def log(msg):
    print(f"docker-check: {msg}", flush=True)


# ----------------------------------------------------------------------------------------
# Dockerfile parsing (the subset this project uses: FROM, WORKDIR, COPY, RUN, ENV, USER,
# EXPOSE, VOLUME, HEALTHCHECK, ENTRYPOINT, CMD, ARG, LABEL).


class Instruction:
    def __init__(self, keyword, args, line):
        self.keyword = keyword
        self.args = args
        self.line = line

    def __repr__(self):
        return f"line {self.line}: {self.keyword} {self.args}"


class Stage:
    def __init__(self, base, name, line):
        self.base = base
        self.name = name
        self.line = line
        self.instructions = []

    def all(self, keyword):
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword):
        found = self.all(keyword)
        return found[-1] if found else None


def parse_dockerfile(path):
    stages = []
    logical = ""
    start_line = 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if logical and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by Docker
        if not logical:
            start_line = number
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        logical = ""
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name, start_line))
        elif not stages:
            if keyword != "ARG":
                raise CheckFailed(f"line {start_line}: {keyword} before the first FROM")
        else:
            stages[-1].instructions.append(Instruction(keyword, args, start_line))
    if logical:
        raise CheckFailed("the Dockerfile ends inside a continued line")
    return stages


def parse_env(args):
    """ENV K=V [K2=V2 ...] (values may be double-quoted) or the legacy ENV K V."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    env = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise CheckFailed(f"cannot parse ENV {args!r}")
        env[key] = value
    return env


def parse_copy(args):
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    if len(words) < 2:
        raise CheckFailed(f"cannot parse COPY {args!r}")
    return flags, words[:-1], words[-1]


def exec_form(args):
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def healthcheck_command(args):
    words = args.split()
    while words and words[0].startswith("--"):
        words.pop(0)
    if not words or words[0].upper() != "CMD":
        raise CheckFailed(f"HEALTHCHECK without CMD: {args!r}")
    rest = args[args.upper().index("CMD") + 3:].strip()
    as_list = exec_form(rest)
    if as_list is not None:
        if as_list and as_list[0] == "CMD-SHELL":
            return ["/bin/sh", "-c", " ".join(as_list[1:])]
        return as_list[1:] if as_list and as_list[0] == "CMD" else as_list
    return ["/bin/sh", "-c", rest]


# ----------------------------------------------------------------------------------------
# Build context, filtered by .dockerignore.


def read_dockerignore():
    path = os.path.join(REPO_ROOT, ".dockerignore")
    patterns = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("!"):
                    raise CheckFailed(f".dockerignore exception rules are not simulated: {line}")
                patterns.append(line.strip("/"))
    return patterns


def ignored(relpath, patterns):
    parts = relpath.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            # Matches at any depth: test every suffix of the path.
            if any(fnmatch.fnmatchcase("/".join(parts[i:]), tail) for i in range(len(parts))):
                return True
            # ... and anything below such a match.
            if any(fnmatch.fnmatchcase(p, tail) for p in parts[:-1]):
                return True
        else:
            depth = pattern.count("/") + 1
            # A pattern excludes the matching path and everything below it.
            if len(parts) >= depth and fnmatch.fnmatchcase("/".join(parts[:depth]), pattern):
                return True
    return False


def make_context(dest):
    """Copies the repository into dest as Docker would send it (approximately: an
    over-exclusion only makes the simulation stricter)."""
    patterns = read_dockerignore()
    count = 0
    for root, dirs, files in os.walk(REPO_ROOT):
        rel_root = os.path.relpath(root, REPO_ROOT)
        rel_root = "" if rel_root == "." else rel_root + "/"
        dirs[:] = [d for d in dirs if not ignored(rel_root + d, patterns)]
        for d in dirs:
            os.makedirs(os.path.join(dest, rel_root, d), exist_ok=True)
        for name in files:
            rel = rel_root + name
            if ignored(rel, patterns):
                continue
            src = os.path.join(root, name)
            if os.path.islink(src):
                os.symlink(os.readlink(src), os.path.join(dest, rel))
            else:
                shutil.copy2(src, os.path.join(dest, rel))
            count += 1
    return count


# ----------------------------------------------------------------------------------------
# Static checks.


def runtime_packages():
    out = subprocess.run([os.path.join(REPO_ROOT, "scripts", "install-deps.sh"), "--list",
                          "runtime"], check=True, capture_output=True, text=True).stdout
    return out.split()


def static_checks(stages, context_dir):
    problems = []
    if len(stages) < 2:
        problems.append("expected a multi-stage build (a build stage and a runtime stage)")
    for stage in stages:
        if stage.base not in ("debian:12", "debian:bookworm") and stage.base not in [
                s.name for s in stages]:
            problems.append(f"line {stage.line}: stage base {stage.base} is not debian:12")

    with open(os.path.join(REPO_ROOT, "scripts", "test.sh"), encoding="utf-8") as f:
        test_sh = f.read()
    with open(os.path.join(REPO_ROOT, "Dockerfile"), encoding="utf-8") as f:
        dockerfile_text = f.read()
    # Comments may mention other tooling; only instructions count.
    instruction_text = "\n".join(i.args for s in stages for i in s.instructions)
    scripts = sorted(set(re.findall(r"scripts/[A-Za-z0-9_.-]+\.sh", instruction_text)))
    if not scripts:
        problems.append("the Dockerfile calls no project script; expected install-deps.sh/build.sh")
    for script in scripts:
        path = os.path.join(REPO_ROOT, script)
        if not os.path.isfile(path):
            problems.append(f"{script} does not exist")
            continue
        if not os.access(path, os.X_OK):
            problems.append(f"{script} is not executable")
        syntax = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        if syntax.returncode != 0:
            problems.append(f"{script} fails bash -n: {syntax.stderr.strip()}")
        if os.path.basename(script) not in test_sh:
            problems.append(f"{script} is used by the Dockerfile but never run by scripts/test.sh")

    for stage in stages:
        for inst in stage.all("COPY"):
            flags, sources, _ = parse_copy(inst.args)
            if "from" in flags:
                continue
            for src in sources:
                if not os.path.exists(os.path.join(context_dir, src)):
                    problems.append(f"line {inst.line}: COPY source {src} is missing from the "
                                    "build context (absent, or excluded by .dockerignore)")
    # The build needs these whole; .dockerignore must not cut into them.
    for needed in ("CMakeLists.txt", "cmake", "src", "include", "openapi", "scripts"):
        in_repo = os.path.join(REPO_ROOT, needed)
        if os.path.exists(in_repo) and not os.path.exists(os.path.join(context_dir, needed)):
            problems.append(f"{needed} is excluded from the build context by .dockerignore")

    final = stages[-1] if stages else Stage("", None, 0)
    user = final.last("USER")
    if user is None or user.args.split(":")[0] in ("root", "0"):
        problems.append("the runtime stage must switch to a non-root USER")
    if not any("8080" in i.args.split() for i in final.all("EXPOSE")):
        problems.append("the runtime stage must EXPOSE 8080")
    volumes = " ".join(i.args for i in final.all("VOLUME"))
    if DATA_DIR not in volumes:
        problems.append(f"the runtime stage must declare VOLUME {DATA_DIR}")
    env = {}
    for inst in final.all("ENV"):
        env.update(parse_env(inst.args))
    if env.get("MR_HOSTNAME") != "0.0.0.0":
        problems.append("ENV MR_HOSTNAME=0.0.0.0 is missing (the server must listen beyond loopback)")
    if not env.get("MR_DB_FILE", "").startswith(DATA_DIR + "/"):
        problems.append(f"ENV MR_DB_FILE must point into {DATA_DIR}")
    health = final.last("HEALTHCHECK")
    if health is None:
        problems.append("the runtime stage needs a HEALTHCHECK")
    elif "curl" in health.args or "wget" in health.args:
        problems.append("the HEALTHCHECK must not need curl or wget: the runtime image has "
                        "neither (use `model-registry healthcheck`)")
    if final.last("ENTRYPOINT") is None and final.last("CMD") is None:
        problems.append("the runtime stage has neither ENTRYPOINT nor CMD")
    if "install-deps.sh --runtime-only" not in dockerfile_text:
        problems.append("the runtime stage should install packages with install-deps.sh "
                        "--runtime-only, the list the library check below verifies")

    packages = runtime_packages()
    apt = subprocess.run(["apt-cache", "show", "--no-all-versions"] + packages,
                         capture_output=True, text=True)
    if apt.returncode != 0:
        problems.append(f"runtime packages unknown to apt ({' '.join(packages)}): "
                        f"{apt.stderr.strip()}")
    return problems


# ----------------------------------------------------------------------------------------
# Runtime-stage simulation.


def package_owning(path):
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        # Debian 12 merged /usr, but dpkg still records many files under /lib.
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for candidate in candidates:
        out = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout:
            return out.stdout.split(":")[0].split(",")[0].strip()
    return None


def dependency_closure(packages):
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances"] + packages,
        check=True, capture_output=True, text=True).stdout
    closure = set(packages)
    for line in out.splitlines():
        if line and not line[0].isspace() and not line.startswith("<"):
            closure.add(line.strip().split(":")[0])
    return closure


def check_shared_libraries(binary):
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    allowed = dependency_closure(runtime_packages())
    problems = []
    libraries = 0
    for line in out.splitlines():
        line = line.strip()
        if "not found" in line:
            problems.append(f"ldd: {line}")
            continue
        match = re.search(r"=> (/\S+)", line) or re.match(r"(/\S+)", line)
        if not match:
            continue  # linux-vdso
        libraries += 1
        owner = package_owning(match.group(1))
        if owner is None:
            problems.append(f"{match.group(1)} belongs to no Debian package")
        elif owner not in allowed:
            problems.append(f"{match.group(1)} comes from {owner}, which the runtime stage does "
                            "not install (add it to RUNTIME_PACKAGES in scripts/install-deps.sh)")
    log(f"{libraries} shared libraries, all provided by the runtime packages"
        if not problems else "shared-library check failed")
    return problems


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def simulate_runtime(stages, binary):
    problems = check_shared_libraries(binary)
    final = stages[-1]

    entrypoint = exec_form(final.last("ENTRYPOINT").args) if final.last("ENTRYPOINT") else []
    cmd = exec_form(final.last("CMD").args) if final.last("CMD") else []
    if entrypoint is None or cmd is None:
        return problems + ["ENTRYPOINT and CMD must use the exec (JSON array) form"]
    argv = entrypoint + cmd
    copied = [parse_copy(i.args) for i in final.all("COPY")]
    binary_dests = [dest for flags, _, dest in copied if "from" in flags]
    if not argv or argv[0] not in binary_dests:
        return problems + [f"the container command {argv} does not start the copied binary "
                           f"({binary_dests})"]

    env = {}
    for inst in final.all("ENV"):
        env.update(parse_env(inst.args))
    with tempfile.TemporaryDirectory(prefix="mr-docker-runtime-") as sandbox:
        # Like the image: the binary alone in a bin directory, data in a separate volume, so
        # a dependency on files of the source tree (or on its permissions) shows up here.
        bin_dir = os.path.join(sandbox, "bin")
        data_dir = os.path.join(sandbox, "data")
        os.makedirs(bin_dir)
        os.makedirs(data_dir)
        os.chmod(sandbox, 0o755)
        os.chmod(bin_dir, 0o755)
        original_binary = argv[0]
        argv[0] = os.path.join(bin_dir, os.path.basename(argv[0]))
        shutil.copy2(binary, argv[0])
        os.chmod(argv[0], 0o755)
        port = free_port()
        # Same variables the image sets, pointed at loopback, a free port and a temp volume.
        env["MR_HOSTNAME"] = "127.0.0.1"
        env["MR_PORT"] = str(port)
        env["MR_DB_FILE"] = env.get("MR_DB_FILE", "").replace(DATA_DIR, data_dir, 1)
        run_env = dict(os.environ, **env)
        prefix = []
        if os.geteuid() == 0 and shutil.which("setpriv"):
            # The image runs as an unprivileged user that owns only the data volume.
            os.chown(data_dir, 65534, 65534)
            os.chmod(data_dir, 0o700)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        log(f"starting {' '.join(prefix + argv)} with MR_HOSTNAME=127.0.0.1 MR_PORT={port} "
            f"MR_DB_FILE={env['MR_DB_FILE']}")
        server = subprocess.Popen(prefix + argv, cwd=data_dir, env=run_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            health = healthcheck_command(final.last("HEALTHCHECK").args)
            # The image's binary path is the sandbox's copy here.
            health = [argv[0] if word == original_binary else word for word in health]
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            healthy = False
            last = None
            while time.monotonic() < deadline and server.poll() is None:
                last = subprocess.run(health, env=run_env, capture_output=True, text=True,
                                      timeout=10)
                if last.returncode == 0:
                    healthy = True
                    break
                time.sleep(0.2)
            if healthy:
                log("HEALTHCHECK command succeeded against the running binary")
            elif server.poll() is not None:
                problems.append(f"the server exited with {server.returncode} before becoming "
                                "healthy")
            else:
                detail = (last.stdout + last.stderr).strip() if last else ""
                problems.append(f"the HEALTHCHECK command kept failing for {STARTUP_TIMEOUT_S}s:"
                                f" {detail}")
            if healthy and not os.path.exists(env["MR_DB_FILE"]):
                problems.append(f"the server did not create its database at MR_DB_FILE "
                                f"({env['MR_DB_FILE']}); is MR_DB_FILE honoured?")
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
                    problems.append("the server did not stop within 10s of SIGTERM")
            output = server.stdout.read().decode(errors="replace")
            server.stdout.close()
            if problems:
                print(output[-4000:], file=sys.stderr)
    return problems


# ----------------------------------------------------------------------------------------
# Build-stage replay.


def replay_build_stage(stages, context_dir, work_dir):
    """Runs the build stage's COPY and RUN lines with its WORKDIR mapped to work_dir and
    returns the host path of the file the runtime stage copies out of it."""
    runtime = stages[-1]
    from_build = [parse_copy(i.args) for i in runtime.all("COPY")]
    from_build = [(flags["from"], srcs) for flags, srcs, _ in from_build if "from" in flags]
    if len(from_build) != 1 or len(from_build[0][1]) != 1:
        raise CheckFailed("expected exactly one COPY --from=<build stage> of the binary")
    stage_name, [artifact] = from_build[0]
    stage = next((s for s in stages if s.name == stage_name), None)
    if stage is None:
        raise CheckFailed(f"COPY --from={stage_name} names no stage")

    workdir = None
    env = dict(os.environ)
    for inst in stage.instructions:
        if inst.keyword == "WORKDIR":
            if workdir is not None:
                raise CheckFailed(f"{inst}: only one WORKDIR per build stage is simulated")
            workdir = inst.args
        elif inst.keyword == "ENV":
            env.update(parse_env(inst.args))
        elif inst.keyword == "COPY":
            flags, sources, dest = parse_copy(inst.args)
            if flags:
                raise CheckFailed(f"{inst}: COPY flags are not simulated")
            if workdir is None:
                raise CheckFailed(f"{inst}: COPY before WORKDIR is not simulated")
            if dest.startswith("/"):
                if not (dest + "/").startswith(workdir.rstrip("/") + "/"):
                    raise CheckFailed(f"{inst}: destinations outside WORKDIR are not simulated")
                dest = os.path.relpath(dest, workdir)
            target = os.path.join(work_dir, dest)
            for src in sources:
                src_path = os.path.join(context_dir, src)
                if os.path.isdir(src_path):
                    shutil.copytree(src_path, target, symlinks=True, dirs_exist_ok=True)
                elif dest.endswith("/") or len(sources) > 1:
                    os.makedirs(target, exist_ok=True)
                    shutil.copy2(src_path, target)
                else:
                    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
                    shutil.copy2(src_path, target)
            log(f"replayed COPY {' '.join(sources)} {dest}")
        elif inst.keyword == "RUN":
            log(f"replaying RUN {inst.args}")
            result = subprocess.run(["/bin/sh", "-c", inst.args], cwd=work_dir, env=env,
                                    stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                raise CheckFailed(f"{inst} failed with exit code {result.returncode}")
        elif inst.keyword in ("ARG", "LABEL"):
            continue
        else:
            raise CheckFailed(f"{inst}: not simulated in a build stage")
    if workdir is None or not artifact.startswith(workdir.rstrip("/") + "/"):
        raise CheckFailed(f"the copied artifact {artifact} is not under the build WORKDIR")
    path = os.path.join(work_dir, os.path.relpath(artifact, workdir))
    if not os.path.isfile(path):
        raise CheckFailed(f"the build stage did not produce {artifact}")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="simulate the runtime stage around this binary")
    parser.add_argument("--full", action="store_true",
                        help="replay the build stage, then simulate the runtime stage")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    problems = []
    tmp = tempfile.mkdtemp(prefix="mr-docker-check-")
    try:
        stages = parse_dockerfile(os.path.join(REPO_ROOT, "Dockerfile"))
        context_dir = os.path.join(tmp, "context")
        os.makedirs(context_dir)
        files = make_context(context_dir)
        log(f"build context: {files} files after .dockerignore")
        problems += static_checks(stages, context_dir)
        if problems:
            raise CheckFailed("static checks failed")
        log("static checks passed")
        binary = args.binary
        if args.full:
            work_dir = os.path.join(tmp, "stage-root")
            os.makedirs(work_dir)
            binary = replay_build_stage(stages, context_dir, work_dir)
            log(f"build stage produced {binary}")
        if binary:
            if not os.access(binary, os.X_OK):
                raise CheckFailed(f"{binary} is not an executable")
            problems += simulate_runtime(stages, os.path.abspath(binary))
            if problems:
                raise CheckFailed("runtime simulation failed")
            log("runtime simulation passed")
    except CheckFailed as e:
        for problem in problems:
            print(f"docker-check: FAIL: {problem}", file=sys.stderr)
        print(f"docker-check: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
