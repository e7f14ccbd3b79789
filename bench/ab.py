#!/usr/bin/env python3
"""Interleaved A/B comparison of model-registry binaries.

    bench/ab.py --scale 100k --scenario get_model,hello --connections 1,32 \\
        --rounds 5 OLD_BINARY NEW_BINARY

Each round starts every binary once on a fresh copy of the cached seed (built
by bench/run.sh for that scale and the binary's schema version) and runs one
bounded wrk run per scenario and connection count against it. Binaries
alternate, and their order flips every round (A B, B A, ...), so that other
load on a shared machine hits all of them alike. Reports, per binary,
scenario and connection count, the median req/s with its min-max spread over
the rounds, p50/p99 and the server's CPU time per request (the steadiest
figure on a busy machine), and for every binary the ratio of each scenario's
req/s to its `hello` ceiling when `hello` was run.
A binary given as PATH::ARG1,ARG2 gets extra `serve` arguments; give the
same path twice with different arguments to compare settings.
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
    parser.add_argument("--scenario", default="create_version",
                        help="comma-separated scenario names")
    parser.add_argument("--connections", default="16", help="comma-separated counts")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-dir", default=os.environ.get(
        "BUILD_DIR", os.path.join(bench.REPO_ROOT, "build-bench")))
    args = parser.parse_args()
    if not 1 <= args.duration <= 10:
        parser.error("--duration must be between 1 and 10 seconds")
    scenario_names = [s for s in args.scenario.split(",") if s]
    connection_counts = [int(c) for c in args.connections.split(",") if c]
    os.makedirs(bench.DATA_DIR, exist_ok=True)

    variants = []
    for spec in args.binaries:
        path, _, extra = spec.partition("::")
        extra_args = [a for a in extra.split(",") if a]
        seed_args = argparse.Namespace(server_binary=path, reseed=False,
                                       seed_binary=os.path.join(args.build_dir, "mr_seed"))
        seed_file, info = bench.seed(seed_args, args.scale)
        variants.append({"name": spec, "binary": path, "args": extra_args, "seed": seed_file,
                         "info": info, "runs": {}})

    nonce = f"ab{os.getpid()}"
    loads = []
    for round_index in range(args.rounds):
        order = list(enumerate(variants))
        if round_index % 2:
            order.reverse()
        for i, v in order:
            db = os.path.join(bench.DATA_DIR, "ab.db")
            bench.remove_db(db)
            shutil.copyfile(v["seed"], db)
            server = bench.Server(v["binary"], db, v["args"] + ["--hello-endpoint"])
            server.start()
            try:
                known = {s[0]: s for s in bench.scenarios(v["info"], [], [""],
                                                          f"{nonce}r{round_index}v{i}")}
                for name in scenario_names:
                    if name not in known:
                        parser.error(f"unknown scenario {name}")
                    _, _, script, env, per_conn = known[name]
                    for connections in connection_counts:
                        time.sleep(0.5)
                        loads.append(os.getloadavg()[0])
                        result = bench.run_wrk(server.port, script, env, connections,
                                               args.duration, per_conn, server.proc.pid)
                        result["rss_mib"] = server.status().get("VmRSS")
                        v["runs"].setdefault((name, connections), []).append(result)
                        bench.log(f"round {round_index + 1} {v['name']} {name} "
                                  f"@{connections}: {result['rps']:.0f} req/s, "
                                  f"server {result['server_cpu_us']:.0f} µs/req, "
                                  f"load {loads[-1]:.1f}")
            finally:
                server.stop()

    print(f"\n{args.scale}, {args.rounds} interleaved rounds of {args.duration} s per cell "
          f"(medians, req/s spread min-max); 1-min load average during the runs "
          f"{min(loads):.1f}-{max(loads):.1f}\n")
    print("| binary | scenario | conns | req/s | spread | p50 ms | p99 ms | "
          "server CPU µs/req | RSS MiB |")
    print("|---|---|---:|---:|---|---:|---:|---:|---:|")
    for v in variants:
        for (name, connections), runs in v["runs"].items():
            def med(key):
                return statistics.median(r[key] for r in runs)
            rps = [r["rps"] for r in runs]
            print(f"| {v['name']} | {name} | {connections} | {med('rps'):,.0f} | "
                  f"{min(rps):,.0f}-{max(rps):,.0f} | {med('p50_us') / 1000:.2f} | "
                  f"{med('p99_us') / 1000:.2f} | {med('server_cpu_us'):.1f} | "
                  f"{med('rss_mib')} |")
    if "hello" in scenario_names:
        print("\n| binary | scenario | conns | median req/s as % of the same binary's hello |")
        print("|---|---|---:|---:|")
        for v in variants:
            for (name, connections), runs in v["runs"].items():
                ceiling = v["runs"].get(("hello", connections))
                if name == "hello" or not ceiling:
                    continue
                ratio = (statistics.median(r["rps"] for r in runs) /
                         statistics.median(r["rps"] for r in ceiling))
                print(f"| {v['name']} | {name} | {connections} | {100 * ratio:.0f}% |")


if __name__ == "__main__":
    main()
