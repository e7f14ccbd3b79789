#!/usr/bin/env python3
"""Interleaved A/B comparison of model-registry binaries on one scenario.

    bench/ab.py --scale 100k --scenario create_version --connections 16 \\
        --rounds 3 OLD_BINARY NEW_BINARY [--server-arg=--threads=32 ...]

Each round starts every binary on a fresh copy of the cached seed (built by
bench/run.sh for that scale and the binary's schema version) and runs one
bounded wrk run against it, alternating binaries so that other load on a
shared machine hits all of them alike. Reports median req/s, p50/p99 and the
server's CPU time per request (the steadiest figure on a busy machine).
A binary given as PATH::ARG1,ARG2 gets extra `serve` arguments.
"""

import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--scale", choices=sorted(bench.SCALES), default="100k")
    parser.add_argument("--scenario", default="create_version")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-dir", default=os.environ.get(
        "BUILD_DIR", os.path.join(bench.REPO_ROOT, "build-bench")))
    args = parser.parse_args()
    if not 1 <= args.duration <= 10:
        parser.error("--duration must be between 1 and 10 seconds")
    os.makedirs(bench.DATA_DIR, exist_ok=True)

    variants = []
    for spec in args.binaries:
        path, _, extra = spec.partition("::")
        extra_args = [a for a in extra.split(",") if a]
        seed_args = argparse.Namespace(server_binary=path, reseed=False,
                                       seed_binary=os.path.join(args.build_dir, "mr_seed"))
        seed_file, info = bench.seed(seed_args, args.scale)
        variants.append({"name": spec, "binary": path, "args": extra_args, "seed": seed_file,
                         "info": info, "runs": []})

    nonce = f"ab{os.getpid()}"
    for round_index in range(args.rounds):
        for i, v in enumerate(variants):
            db = os.path.join(bench.DATA_DIR, "ab.db")
            bench.remove_db(db)
            shutil.copyfile(v["seed"], db)
            server = bench.Server(v["binary"], db, v["args"] + ["--hello-endpoint"])
            server.start()
            try:
                scenario = [s for s in bench.scenarios(v["info"], [], [""], f"{nonce}r{round_index}v{i}")
                            if s[0] == args.scenario]
                if not scenario:
                    parser.error(f"unknown scenario {args.scenario}")
                _, _, script, env, per_conn = scenario[0]
                time.sleep(0.5)
                result = bench.run_wrk(server.port, script, env, args.connections, args.duration,
                                       per_conn, server.proc.pid)
                result["rss_mib"] = server.status().get("VmRSS")
            finally:
                server.stop()
            v["runs"].append(result)
            bench.log(f"round {round_index + 1} {v['name']}: {result['rps']:.0f} req/s, "
                      f"server {result['server_cpu_us']:.0f} µs/req")

    print(f"\n{args.scenario} @{args.connections} connections, {args.scale}, "
          f"{args.rounds} rounds of {args.duration} s (medians); load {bench.loadavg()}\n")
    print("| binary | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in variants:
        runs = v["runs"]

        def med(key):
            return statistics.median(r[key] for r in runs)
        print(f"| {v['name']} | {med('rps'):,.0f} | {med('p50_us') / 1000:.2f} | "
              f"{med('p99_us') / 1000:.2f} | {med('server_cpu_us'):.0f} | {med('rss_mib')} |")


if __name__ == "__main__":
    main()
