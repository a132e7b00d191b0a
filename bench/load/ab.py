#!/usr/bin/env python3
"""Two Gatehouse builds side by side, one scenario, alternating rounds: the before/after figure for
one optimisation.

On a shared 2-core VM the same build's CPU per request moves by half from one minute to the next, so a
single pair of runs says little. This starts both builds once (each with its own controller, on the
same backend), warms both, then runs A B, B A, A B ... and reports each round. A change is worth
believing when B is lower in most rounds, not when one median moved.

    python3 bench/load/ab.py --a /tmp/ab/before --b artifacts/bin --scenario ka50 --rounds 8

Scenarios: the plain ones of run.py (ka50, ka200, ka16k, close, hosts1k) and tls-ka (wrk -c50 over
HTTPS, P-256 certificate), tls-close (a full handshake per request) and h2 (h2load -c50 -m10 over TLS). With --syscalls, perf stat also counts
the system calls each proxy makes per request (exact counts, unlike CPU time); perf must be installed.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

SYSCALLS = ["sendto", "recvfrom", "sendmsg", "writev", "epoll_wait", "futex"]
TLS_SCENARIOS = {"tls-ka": "ka50", "tls-close": "close", "h2": "h2"}


def start_peers(work, bins, tls, proxy_args=((), ())):
    certificates = [run.tls_certificates(work)["ecdsa"]] if tls else None
    peers = []
    for i, bindir in enumerate(bins):
        # Ports 19100.. keep clear of run.py's peers, so a load run and an A/B never share a port.
        peer = run.gatehouse_peer(work, bindir, name="ab" + "ab"[i], port=19100 + 10 * i,
                                  tls_certificates=certificates, proxy_args=proxy_args[i])
        peer.label = "AB"[i]
        peer.start()  # waits for the plain port
        if tls:
            probe_tls(peer.tls_port)
        peers.append(peer)
    return peers


def probe_tls(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        code = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", f"https://127.0.0.1:{port}/small"],
                              capture_output=True, text=True).stdout
        if code == "200":
            return
        time.sleep(0.2)
    raise RuntimeError(f"TLS port {port} did not answer")


def load(peer, scenario, duration):
    """Runs one round; returns requests per second and errors."""
    if scenario in TLS_SCENARIOS:
        r = run.tls_wrk(peer.tls_port, TLS_SCENARIOS[scenario], duration)
        return r["rps"], r["errors"]
    r = run.run_wrk(peer.port, scenario, duration)
    secs = r["duration_us"] / 1e6
    return r["requests"] / secs, r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]


def count_syscalls(pid, seconds):
    events = ",".join(f"syscalls:sys_enter_{s}" for s in SYSCALLS)
    out = subprocess.run(["perf", "stat", "-x,", "-e", events, "-p", str(pid), "--", "sleep", str(seconds)],
                         capture_output=True, text=True).stderr
    counts = {}
    for line in out.splitlines():
        parts = line.split(",")
        if len(parts) > 3 and parts[0].replace(".", "").isdigit():
            counts[parts[2].replace("syscalls:sys_enter_", "")] = float(parts[0])
    return counts


def measure(peer, scenario, duration, syscalls):
    cpu0, t0 = run.cpu_seconds(peer.proc.pid), time.monotonic()
    counted = {}
    if syscalls:
        # Counted over the middle of the round, so start-up and tail of the load are left out.
        window = max(1, duration - 2)
        counter = threading.Thread(target=lambda: (time.sleep(1), counted.update(count_syscalls(peer.proc.pid, window))))
        counter.start()
    rps, errors = load(peer, scenario, duration)
    cpu, elapsed = run.cpu_seconds(peer.proc.pid) - cpu0, time.monotonic() - t0
    result = {"rps": rps, "errors": errors, "us": 1e6 * cpu / max(rps * elapsed, 1)}
    if syscalls:
        counter.join()
        requests = rps * max(1, duration - 2)
        result["syscalls"] = {k: v / requests for k, v in counted.items()}
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="published build A (the baseline), e.g. a copy of artifacts/bin")
    ap.add_argument("--b", required=True, help="published build B (the change)")
    ap.add_argument("--scenario", default="ka50", choices=sorted(list(run.SCENARIOS) + list(TLS_SCENARIOS)))
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--duration", type=int, default=8, help="seconds per build per round")
    ap.add_argument("--warmup", type=int, default=15, help="seconds of load per build before the first round (JIT tiering)")
    ap.add_argument("--a-args", default="", help="extra proxy flags for A, e.g. \"--event-loops 2\"")
    ap.add_argument("--b-args", default="", help="extra proxy flags for B")
    ap.add_argument("--syscalls", action="store_true", help="also count system calls per request (perf stat)")
    args = ap.parse_args()

    run.ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-ab-", dir=run.WORK_ROOT)
    os.chmod(work, 0o755)
    backend = run.start_backend(work)
    peers = []
    try:
        peers = start_peers(work, [args.a, args.b], args.scenario in TLS_SCENARIOS, (args.a_args.split(), args.b_args.split()))
        for peer in peers:
            load(peer, args.scenario, args.warmup)
        rows = []
        for i in range(args.rounds):
            order = peers if i % 2 == 0 else peers[::-1]
            results = {p.label: measure(p, args.scenario, args.duration, args.syscalls) for p in order}
            rows.append(results)
            a, b = results["A"], results["B"]
            line = f"round {i + 1}: A {a['rps']:8.0f} req/s {a['us']:5.1f} us/req   B {b['rps']:8.0f} req/s {b['us']:5.1f} us/req"
            if args.syscalls:
                line += "   syscalls/req A " + " ".join(f"{k}={v:.2f}" for k, v in sorted(a["syscalls"].items()) if v) \
                        + "  B " + " ".join(f"{k}={v:.2f}" for k, v in sorted(b["syscalls"].items()) if v)
            if a["errors"] or b["errors"]:
                line += f"   errors A {a['errors']} B {b['errors']}"
            print(line, flush=True)
        report(args, rows)
    finally:
        for peer in peers:
            peer.stop()
            os.killpg(peer.controller.pid, signal.SIGTERM)
        os.killpg(backend.pid, signal.SIGTERM)


def report(args, rows):
    lower = sum(1 for r in rows if r["B"]["us"] < r["A"]["us"])
    faster = sum(1 for r in rows if r["B"]["rps"] > r["A"]["rps"])
    us_a = statistics.median(r["A"]["us"] for r in rows)
    us_b = statistics.median(r["B"]["us"] for r in rows)
    ratio = statistics.median(r["B"]["rps"] / r["A"]["rps"] for r in rows)
    delta = statistics.median(r["B"]["us"] - r["A"]["us"] for r in rows)
    print(f"\n{args.scenario}, {len(rows)} rounds of {args.duration} s: CPU per request A {us_a:.1f} us, B {us_b:.1f} us "
          f"(median difference per round {delta:+.1f} us); B lower in {lower} of {len(rows)} rounds. "
          f"req/s B/A median {ratio:.2f}x, B faster in {faster} of {len(rows)}.")
    errors = sum(r["A"]["errors"] + r["B"]["errors"] for r in rows)
    if errors:
        print(f"errors: {errors} (a build that fails requests is not faster)")


if __name__ == "__main__":
    main()
