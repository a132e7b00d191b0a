#!/usr/bin/env python3
"""Side-by-side load runs: Gatehouse against nginx and HAProxy, same backend, same machine, same run.

Every peer forwards to one nginx backend on loopback. Peers are interleaved (A B C A B C ...) over
several repetitions and each cell reports the median. Writes a Markdown table (default
bench/results/latest.md). Needs nginx, haproxy and wrk (installs them with apt when missing) and the
published Gatehouse executables (./build.sh --target=Publish).
"""
import argparse, json, os, platform, re, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

BACKEND_PORT2 = 19002
BACKEND_PORT, NGINX_PORT, HAPROXY_PORT, GATEHOUSE_PORT, GATEHOUSE_ADMIN = 19001, 19010, 19020, 19030, 19031

SCENARIOS = {
    # name: (connections, path, lua script, description)
    "ka50": (50, "/small", "percentiles.lua", "keep-alive, small body, 50 connections"),
    "ka200": (200, "/small", "percentiles.lua", "keep-alive, small body, 200 connections"),
    "ka16k": (50, "/16k", "percentiles.lua", "keep-alive, 16 KiB body, 50 connections"),
    "close": (50, "/small", "close.lua", "new connection per request, 50 connections"),
}


def ensure_tools():
    missing = [p for p, exe in (("nginx-light", "nginx"), ("haproxy", "haproxy"), ("wrk", "wrk")) if not shutil.which(exe)]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def tree_pids(pid):
    """The process and all its descendants (nginx workers, haproxy threads live in one pid)."""
    pids, frontier = [pid], [pid]
    while frontier:
        p = frontier.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        pids += kids
        frontier += kids
    return pids


def cpu_seconds(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


def peak_rss_mb(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class Peer:
    def __init__(self, name, port, start):
        self.name, self.port, self._start, self.proc = name, port, start, None

    def start(self):
        self.proc = self._start()
        wait_http(f"http://127.0.0.1:{self.port}/small")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def spawn(args, **kw):
    return subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def nginx_conf(work, name, body, workers):
    path = os.path.join(work, f"{name}.conf")
    with open(path, "w") as f:
        f.write(f"""daemon off; master_process on; worker_processes {workers}; pid {work}/{name}.pid;
error_log {work}/{name}.error.log warn;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  client_body_temp_path {work}/{name}-body; proxy_temp_path {work}/{name}-proxy;
  fastcgi_temp_path {work}/{name}-fcgi; uwsgi_temp_path {work}/{name}-uwsgi; scgi_temp_path {work}/{name}-scgi;
{body}
}}
""")
    return path


def start_backend(work):
    with open(os.path.join(work, "16k"), "wb") as f:
        f.write(b"x" * 16384)
    conf = nginx_conf(work, "backend", f"""  server {{ listen 127.0.0.1:{BACKEND_PORT} backlog=4096; listen 127.0.0.1:{BACKEND_PORT2} backlog=4096;
    location = /16k {{ alias {work}/16k; }}
    location / {{ return 200 "ok\\n"; }} }}""", 1)
    p = spawn(["nginx", "-c", conf, "-p", work])
    wait_http(f"http://127.0.0.1:{BACKEND_PORT}/small")
    return p


def nginx_peer(work, workers):
    conf = nginx_conf(work, "nginx", f"""  upstream be {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 256; keepalive_requests 1000000; }}
  server {{ listen 127.0.0.1:{NGINX_PORT} backlog=4096;
    location / {{ proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""", workers)
    return Peer("nginx", NGINX_PORT, lambda: spawn(["nginx", "-c", conf, "-p", work]))


def haproxy_peer(work):
    conf = os.path.join(work, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
  nbthread 2
  maxconn 8000
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:{HAPROXY_PORT}
  default_backend be
backend be
  server s1 127.0.0.1:{BACKEND_PORT}
""")
    return Peer("haproxy", HAPROXY_PORT, lambda: spawn(["haproxy", "-f", conf]))


def write_manifests(manifests, backend_port, extra_hosts):
    """The bench config: a host-less catch-all route to the backend, plus `extra_hosts` named hosts.
    Written to a temporary name and renamed, as deployment tooling does."""
    docs = [f"""apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: gatehouse, annotations: {{ingressclass.kubernetes.io/is-default-class: "true"}}}}
spec: {{controller: gatehouse.io/ingress-controller}}
---
apiVersion: v1
kind: Service
metadata: {{name: backend, namespace: default}}
spec: {{ports: [{{name: http, port: 80}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: backend-1, namespace: default, labels: {{kubernetes.io/service-name: backend}}}}
addressType: IPv4
ports: [{{name: http, port: {backend_port}}}]
endpoints: [{{addresses: ["127.0.0.1"], conditions: {{ready: true}}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: bench, namespace: default}}
spec:
  rules:
  - http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: backend, port: {{name: http}}}}}}}}"""]
    for i in range(extra_hosts):
        docs.append(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: host-{i}, namespace: default}}
spec:
  rules:
  - host: host-{i}.bench.test
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: backend, port: {{name: http}}}}}}}}""")
    tmp = os.path.join(manifests, ".bench.yaml.tmp")
    with open(tmp, "w") as f:
        f.write("\n---\n".join(docs) + "\n")
    os.replace(tmp, os.path.join(manifests, "bench.yaml"))


def churn(peer, duration, interval, stop_marker):
    """Keep-alive load while the manifests change every `interval` seconds: hosts added and removed,
    the endpoint moved between the backend's two ports. Every failed request is a bug."""
    import threading
    stop = threading.Event()
    changes = [0]

    def rewrite():
        i = 0
        while not stop.wait(interval):
            i += 1
            write_manifests(peer.manifests, BACKEND_PORT2 if i % 2 else BACKEND_PORT, extra_hosts=i % 7)
            changes[0] += 1
    t = threading.Thread(target=rewrite, daemon=True)
    t.start()
    try:
        r = run_wrk(peer.port, "ka50", duration)
    finally:
        stop.set()
        t.join()
        write_manifests(peer.manifests, BACKEND_PORT, extra_hosts=0)
    generation = None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{GATEHOUSE_ADMIN}/config", timeout=2) as resp:
            generation = json.load(resp).get("generation")
    except Exception:
        pass
    return r, changes[0], generation


def gatehouse_peer(work, bindir, hosts):
    manifests = os.path.join(work, "manifests")
    os.makedirs(manifests, exist_ok=True)
    write_manifests(manifests, BACKEND_PORT, extra_hosts=0)
    channel = os.path.join(work, "config.bin")
    controller = spawn([os.path.join(bindir, "gatehouse-controller"), "--manifests", manifests, "--channel", channel,
                        "--admin-port", "19032", "--debounce-ms", "20"])

    def start():
        return spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", channel, "--address", "127.0.0.1",
                      "--http-port", str(GATEHOUSE_PORT), "--admin-port", str(GATEHOUSE_ADMIN)])
    peer = Peer("gatehouse", GATEHOUSE_PORT, start)
    peer.controller = controller
    peer.manifests = manifests
    return peer


def run_wrk(port, scenario, duration):
    conns, path, script, _ = SCENARIOS[scenario]
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "-s", os.path.join(HERE, script),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"GATEHOUSE_RESULT (.*)", out)
    if not m:
        raise RuntimeError("wrk printed no result:\n" + out)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return r


def measure(peer, scenario, duration):
    cpu0 = cpu_seconds(peer.proc.pid)
    r = run_wrk(peer.port, scenario, duration)
    cpu = cpu_seconds(peer.proc.pid) - cpu0
    secs = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]
    return {"rps": r["requests"] / secs, "p50": r["p50"] / 1000, "p99": r["p99"] / 1000, "p999": r["p999"] / 1000,
            "errors": errors, "non2xx": r["non2xx"], "cpu100k": cpu / max(r["requests"], 1) * 1e5,
            "us": cpu / max(r["requests"], 1) * 1e6}


def versions(bindir):
    def first_line(args):
        try:
            p = subprocess.run(args, capture_output=True, text=True)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return [f"machine: {os.cpu_count()} cores, {cpu}, kernel {platform.release()}",
            f"nginx: {first_line(['nginx', '-v'])}", f"haproxy: {first_line(['haproxy', '-v'])}",
            f"wrk: {first_line(['wrk', '--version'])}", f"dotnet: {first_line(['dotnet', '--version'])}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5, help="seconds of untimed load per peer first (JIT tiering)")
    ap.add_argument("--scenarios", default="ka50,ka200,ka16k,close")
    ap.add_argument("--peers", default="direct,nginx,haproxy,gatehouse")
    ap.add_argument("--nginx-workers", default="auto")
    ap.add_argument("--churn", type=int, default=10, help="seconds of keep-alive load on Gatehouse while manifests change every 100 ms (0: skip)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "artifacts", "bin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--tls", action="store_true", help="run only the TLS termination comparison (writes results/tls.md)")
    args = ap.parse_args()
    if args.tls:
        return tls_main(args)

    ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-load-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user and must read the 16 KiB file
    backend = start_backend(work)
    peers = []
    try:
        wanted = args.peers.split(",")
        if "direct" in wanted:
            direct = Peer("direct (backend alone)", BACKEND_PORT, lambda: backend)
            peers.append(direct)
        if "nginx" in wanted:
            peers.append(nginx_peer(work, args.nginx_workers))
        if "haproxy" in wanted:
            peers.append(haproxy_peer(work))
        if "gatehouse" in wanted:
            peers.append(gatehouse_peer(work, args.bin, 1))
        for p in peers:
            p.start()
        scenarios = args.scenarios.split(",")
        for p in peers:
            for s in scenarios:
                run_wrk(p.port, s, args.warmup)
        results = {}
        for rep in range(args.reps):
            for s in scenarios:
                for p in peers:
                    r = measure(p, s, args.duration)
                    results.setdefault((s, p.name), []).append(r)
                    print(f"rep {rep + 1} {s:6} {p.name:24} {r['rps']:9.0f} req/s p99 {r['p99']:.2f} ms errors {r['errors']}", flush=True)
        churn_result = None
        gatehouse = next((p for p in peers if p.name == "gatehouse"), None)
        if gatehouse and args.churn > 0:
            churn_result = churn(gatehouse, args.churn, 0.1, None)
            r, n, gen = churn_result
            print(f"churn: generation at the end {gen}", flush=True)
            print(f"churn: {r['requests']} requests, {n} manifest changes, errors {r['connect'] + r['read'] + r['write'] + r['timeout']}, non-2xx {r['non2xx']}", flush=True)
        rss = {p.name: peak_rss_mb(p.proc.pid) for p in peers}
        write_report(args, peers, scenarios, results, rss, churn_result)
    finally:
        for p in peers:
            if getattr(p, "controller", None):
                os.killpg(p.controller.pid, signal.SIGTERM)
            if p.proc is not backend:
                p.stop()
        os.killpg(backend.pid, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)


def write_report(args, peers, scenarios, results, rss, churn_result=None):
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    lines = ["# Load runs: Gatehouse side by side with nginx and HAProxy", "",
             f"_{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `python3 bench/load/run.py --duration {args.duration} "
             f"--reps {args.reps} --scenarios {args.scenarios} --peers {args.peers}`; medians of {args.reps} interleaved runs; "
             "wrk -t1, load generator, peers and backend share the machine._", ""]
    lines += [f"- {v}" for v in versions(args.bin)] + [""]
    lines += ["| scenario | peer | req/s | p50 ms | p99 ms | p99.9 ms | errors | non-2xx | CPU s / 100k req | µs CPU / req | peak RSS MB | req/s vs nginx | p99 vs nginx |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in scenarios:
        base = results.get((s, "nginx"))
        for p in peers:
            xs = results[(s, p.name)]
            ratio = f"{med(xs, 'rps') / med(base, 'rps'):.2f}x" if base else "–"
            p99r = f"{med(xs, 'p99') / med(base, 'p99'):.2f}x" if base else "–"
            lines.append(f"| {SCENARIOS[s][3]} | {p.name} | {med(xs, 'rps'):.0f} | {med(xs, 'p50'):.2f} | {med(xs, 'p99'):.2f} | "
                         f"{med(xs, 'p999'):.2f} | {sum(x['errors'] for x in xs)} | {sum(x['non2xx'] for x in xs)} | "
                         f"{med(xs, 'cpu100k'):.2f} | {med(xs, 'us'):.1f} | {rss[p.name]:.0f} | {ratio} | {p99r} |")
    if churn_result:
        r, n, gen = churn_result
        errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        lines += ["", "## Churn: keep-alive load while the manifests change every 100 ms", "",
                  f"Gatehouse, wrk -c50 for {args.churn} s while a writer renamed a new manifest into the folder every 100 ms "
                  "(0–6 extra hosts added/removed, the endpoint moved between the backend's two ports).", "",
                  "| requests | manifest changes | generation at the end | connect/read/write errors | timeouts | non-2xx |",
                  "|---|---|---|---|---|---|",
                  f"| {r['requests']} | {n} | {gen} | {r['connect'] + r['read'] + r['write']} | {r['timeout']} | {r['non2xx']} |", "",
                  "Every figure after the third column must be 0: an update that loses a request is a bug."]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


# ---- TLS termination: Gatehouse and nginx with the same RSA-2048 and P-256 certificates ---------------
# Self-contained: `run.py --tls` runs only this comparison (own ports, own gatehouse pair) and writes
# bench/results/tls.md. The certificate is each peer's default one (wrk's SNI is the IP literal).
TLS_NGINX_PORT, TLS_GATEHOUSE_HTTP, TLS_GATEHOUSE_HTTPS, TLS_GATEHOUSE_ADMIN, TLS_CONTROLLER_ADMIN = 19050, 19051, 19052, 19053, 19054
TLS_SCENARIOS = {"ka50": "keep-alive HTTPS, 50 connections", "close": "full handshake per request, 50 connections"}


def tls_certificates(work):
    made = {}
    for kind, key in (("rsa", ["-newkey", "rsa:2048"]), ("ecdsa", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        crt, pem = os.path.join(work, f"{kind}.crt"), os.path.join(work, f"{kind}.key")
        subprocess.run(["openssl", "req", "-x509", *key, "-nodes", "-days", "2", "-subj", f"/CN={kind}.bench.test",
                        "-keyout", pem, "-out", crt], check=True, capture_output=True)
        made[kind] = (crt, pem)
    return made


def tls_nginx_peer(work, kind, crt, key, workers):
    conf = nginx_conf(work, f"nginx-tls-{kind}", f"""  upstream be {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 256; keepalive_requests 1000000; }}
  server {{ listen 127.0.0.1:{TLS_NGINX_PORT} ssl backlog=4096; ssl_certificate {crt}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
    location / {{ proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""", workers)
    return Peer("nginx", TLS_NGINX_PORT, lambda: spawn(["nginx", "-c", conf, "-p", work]))


def tls_gatehouse_peer(work, bindir, kind, crt, key):
    manifests = os.path.join(work, f"manifests-tls-{kind}")
    os.makedirs(manifests, exist_ok=True)
    write_manifests(manifests, BACKEND_PORT, extra_hosts=0)
    b64 = lambda path: __import__("base64").b64encode(open(path, "rb").read()).decode()
    with open(os.path.join(manifests, "secret.yaml"), "w") as f:
        f.write(f"""apiVersion: v1
kind: Secret
metadata: {{name: bench-tls, namespace: default}}
type: kubernetes.io/tls
data: {{tls.crt: {b64(crt)}, tls.key: {b64(key)}}}
""")
    channel = os.path.join(work, f"config-tls-{kind}.bin")
    controller = spawn([os.path.join(bindir, "gatehouse-controller"), "--manifests", manifests, "--channel", channel,
                        "--admin-port", str(TLS_CONTROLLER_ADMIN), "--debounce-ms", "20", "--default-ssl-certificate", "default/bench-tls"])

    def start():
        return spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", channel, "--address", "127.0.0.1",
                      "--http-port", str(TLS_GATEHOUSE_HTTP), "--https-port", str(TLS_GATEHOUSE_HTTPS), "--admin-port", str(TLS_GATEHOUSE_ADMIN)])
    peer = Peer("gatehouse", TLS_GATEHOUSE_HTTPS, start)
    peer.controller = controller
    return peer


def tls_start(peer):
    peer.proc = peer._start()
    deadline = time.time() + 30
    while time.time() < deadline:
        probe = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", f"https://127.0.0.1:{peer.port}/small"], capture_output=True, text=True)
        if probe.stdout == "200":
            return
        time.sleep(0.2)
    raise RuntimeError(f"{peer.name} TLS port {peer.port} did not answer")


def tls_wrk(port, scenario, duration):
    script = "close.lua" if scenario == "close" else "percentiles.lua"
    out = subprocess.run(["wrk", "-t1", "-c50", f"-d{duration}s", "--latency", "-s", os.path.join(HERE, script),
                          f"https://127.0.0.1:{port}/small"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"GATEHOUSE_RESULT (.*)", out)
    if not m:
        raise RuntimeError("wrk printed no result:\n" + out)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p99": r["p99"] / 1000,
            "errors": r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]}


def tls_main(args):
    ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-tls-")
    os.chmod(work, 0o755)
    backend = start_backend(work)
    results, running = {}, []
    try:
        for kind, (crt, key) in tls_certificates(work).items():
            peers = [tls_nginx_peer(work, kind, crt, key, args.nginx_workers), tls_gatehouse_peer(work, args.bin, kind, crt, key)]
            running = peers
            for p in peers:
                tls_start(p)
                for s in TLS_SCENARIOS:
                    tls_wrk(p.port, s, args.warmup)
            for rep in range(args.reps):
                for s in TLS_SCENARIOS:
                    for p in peers:
                        r = tls_wrk(p.port, s, args.duration)
                        results.setdefault((kind, s, p.name), []).append(r)
                        print(f"tls {kind:5} rep {rep + 1} {s:6} {p.name:10} {r['rps']:9.0f} req/s p99 {r['p99']:.2f} ms errors {r['errors']}", flush=True)
            for p in peers:
                if getattr(p, "controller", None):
                    os.killpg(p.controller.pid, signal.SIGTERM)
                p.stop()
            running = []
    finally:
        for p in running:
            if getattr(p, "controller", None):
                os.killpg(p.controller.pid, signal.SIGTERM)
            p.stop()
        os.killpg(backend.pid, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    lines = ["# TLS termination: Gatehouse and nginx, same certificates", "",
             f"_{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `python3 bench/load/run.py --tls --duration {args.duration} --reps {args.reps}`; "
             f"medians of {args.reps} interleaved runs; wrk -t1 -c50; nginx without session cache or tickets, so `close` is a full handshake per request on both._", ""]
    lines += [f"- {v}" for v in versions(args.bin)] + ["",
              "| certificate | scenario | peer | req/s | p99 ms | errors | req/s vs nginx |", "|---|---|---|---|---|---|---|"]
    for kind in ("rsa", "ecdsa"):
        for s, description in TLS_SCENARIOS.items():
            base = results.get((kind, s, "nginx"))
            for name in ("nginx", "gatehouse"):
                xs = results.get((kind, s, name))
                if xs:
                    ratio = f"{med(xs, 'rps') / med(base, 'rps'):.2f}x" if base else "–"
                    label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
                    lines.append(f"| {label} | {description} | {name} | {med(xs, 'rps'):.0f} | {med(xs, 'p99'):.2f} | {sum(x['errors'] for x in xs)} | {ratio} |")
    out = os.path.join(os.path.dirname(args.out), "tls.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
