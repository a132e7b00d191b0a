#!/usr/bin/env python3
"""Side-by-side load runs: Gatehouse against nginx and HAProxy, same backend, same machine, same run.

Every peer forwards to one nginx backend on loopback. Peers are interleaved (A B C A B C ...) over
several repetitions and each cell reports the median. Writes a Markdown table (default
bench/results/latest.md). Needs nginx, haproxy and wrk (installs them with apt when missing) and the
published Gatehouse executables (./build.sh --target=Publish).
"""
import argparse, json, os, platform, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

BACKEND_PORT2 = 19002
BACKEND_PORT, NGINX_PORT, HAPROXY_PORT, GATEHOUSE_PORT, GATEHOUSE_ADMIN = 19001, 19010, 19020, 19030, 19031
GATEHOUSE_BASE_PORT = 19040

SCENARIOS = {
    # name: (connections, path, lua script, description)
    "ka50": (50, "/small", "percentiles.lua", "keep-alive, small body, 50 connections"),
    "ka200": (200, "/small", "percentiles.lua", "keep-alive, small body, 200 connections"),
    "ka16k": (50, "/16k", "percentiles.lua", "keep-alive, 16 KiB body, 50 connections"),
    "close": (50, "/small", "close.lua", "new connection per request, 50 connections"),
    "hosts1k": (50, "/small", "hosts.lua", "keep-alive, 1,000 hosts in the config, requests spread over them, 50 connections"),
}

# Scenarios whose feature has not landed: listed so the report says what is missing and why, never
# with a made-up number. Move an entry into SCENARIOS when its feature exists.
PENDING_SCENARIOS = {
    "tls-ka": ("HTTPS keep-alive, small body, 50 connections (RSA-2048 and P-256)", "measured by run.py --tls (bench/results/tls.md)"),
    "tls-handshake-rsa": ("HTTPS, full handshake per request, RSA-2048", "measured by run.py --tls (bench/results/tls.md)"),
    "tls-handshake-p256": ("HTTPS, full handshake per request, P-256", "measured by run.py --tls (bench/results/tls.md)"),
    "h2": ("HTTP/2 end to end with h2load (ALPN h2 over TLS)", "measured by run.py --tls (bench/results/tls.md): h2load -c50 -m10, clients speak h2, both peers HTTP/1.1 to the backend"),
}

# Work files (manifests, the channel, nginx's files) go on tmpfs when there is one: in a pod the
# channel lives on an emptyDir with medium Memory, and a disk-backed file makes the controller's
# writes into fresh pages cost block allocation that production never pays.
WORK_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# Named hosts every peer is configured with (server blocks, ACL entries, Ingresses); the hosts1k
# scenario spreads its requests over them, the others use the catch-all.
BENCH_HOSTS = 1000


def ensure_tools():
    missing = [p for p, exe in (("nginx-light", "nginx"), ("haproxy", "haproxy"), ("wrk", "wrk"), ("nghttp2-client", "h2load"))
               if not shutil.which(exe)]
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


def wait_http(url, timeout=30, want=None):
    """Waits until url answers below 500 (or, with want, exactly that status: a proxy answering 404
    by itself is ready, one answering 503 has no config yet)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500 and want in (None, r.status):
                    return
        except urllib.error.HTTPError as e:
            if want is not None and e.code == want:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class Peer:
    def __init__(self, name, port, start):
        self.name, self.port, self._start, self.proc = name, port, start, None

    # Set on a peer that answers every request with its own 404 (gatehouse-noroute): wrk's status
    # errors are then its answers, not failures.
    answers_404 = False

    # A Gatehouse proxy's admin port: its gatehouse_process_allocated_bytes_total gives bytes allocated per request.
    admin_port = None

    def start(self):
        self.proc = self._start()
        wait_http(f"http://127.0.0.1:{self.port}/small", want=404 if self.answers_404 else None)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def spawn(args, **kw):
    # GATEHOUSE_BENCH_LOGS=DIR keeps every process's output (DIR/<program>-<pid>.log) for reading timelines.
    logs = os.environ.get("GATEHOUSE_BENCH_LOGS")
    if not logs:
        return subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    os.makedirs(logs, exist_ok=True)
    out = open(os.path.join(logs, f"{os.path.basename(args[0])}-{time.monotonic_ns()}.log"), "w")
    return subprocess.Popen(args, start_new_session=True, stdout=out, stderr=subprocess.STDOUT, **kw)


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


def nginx_host_blocks(port, hosts):
    """One server block per named host, as an ingress controller renders them."""
    return "\n".join(f"""  server {{ listen 127.0.0.1:{port}; server_name host-{i}.bench.test;
    location / {{ proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""" for i in range(hosts))


def nginx_peer(work, workers, hosts=BENCH_HOSTS):
    conf = nginx_conf(work, "nginx", f"""  upstream be {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 256; keepalive_requests 1000000; }}
  server_names_hash_max_size 262144; server_names_hash_bucket_size 128;
  server {{ listen 127.0.0.1:{NGINX_PORT} backlog=4096 default_server;
    location / {{ proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}
{nginx_host_blocks(NGINX_PORT, hosts)}""", workers)
    return Peer("nginx", NGINX_PORT, lambda: spawn(["nginx", "-c", conf, "-p", work]))


def haproxy_peer(work, hosts=BENCH_HOSTS):
    conf = os.path.join(work, "haproxy.cfg")
    hosts_file = os.path.join(work, "haproxy-hosts.lst")
    with open(hosts_file, "w") as f:
        f.write("".join(f"host-{i}.bench.test\n" for i in range(hosts)))
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
  use_backend be if {{ hdr(host) -i -f {hosts_file} }}
  default_backend be
backend be
  server s1 127.0.0.1:{BACKEND_PORT}
""")
    return Peer("haproxy", HAPROXY_PORT, lambda: spawn(["haproxy", "-f", conf]))


def write_manifests(manifests, backend_port, extra_hosts, catch_all=True, files=1):
    """The bench config: a host-less catch-all route to the backend (unless catch_all is False), plus
    `extra_hosts` named hosts, in `files` files (bench.yaml, or bench-NNN.yaml). Written to temporary
    names and renamed, as deployment tooling does."""
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
endpoints: [{{addresses: ["127.0.0.1"], conditions: {{ready: true}}}}]"""]
    if catch_all:
        docs.append("""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: default}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: backend, port: {name: http}}}}""")
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
    per = (len(docs) + files - 1) // files
    for k in range(files):
        name = "bench.yaml" if files == 1 else f"bench-{k:03}.yaml"
        tmp = os.path.join(manifests, f".{name}.tmp")
        with open(tmp, "w") as f:
            f.write("\n---\n".join(docs[k * per:(k + 1) * per]) + "\n")
        os.replace(tmp, os.path.join(manifests, name))


CHURN_CERTIFICATE_EVERY = 10  # manifest changes between certificate replacements


def write_tls_secret(manifests, crt, key):
    """The default certificate's Secret (default/churn-tls), written to a temporary name and renamed."""
    b64 = lambda path: __import__("base64").b64encode(open(path, "rb").read()).decode()
    tmp = os.path.join(manifests, ".tls.yaml.tmp")
    with open(tmp, "w") as f:
        f.write(f"""apiVersion: v1
kind: Secret
metadata: {{name: churn-tls, namespace: default}}
type: kubernetes.io/tls
data: {{tls.crt: {b64(crt)}, tls.key: {b64(key)}}}
""")
    os.replace(tmp, os.path.join(manifests, "tls.yaml"))


def served_certificate(port):
    """SHA-256 fingerprint of the certificate a new TLS handshake gets (no SNI: the default one)."""
    hello = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}"], input="", capture_output=True, text=True, timeout=10).stdout
    return certificate_fingerprint(hello)


def certificate_fingerprint(pem_text):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem_text, capture_output=True, text=True)
    return out.stdout.strip() or None


def churn(peer, duration, interval, stop_marker):
    """Keep-alive load while the manifests change every `interval` seconds: hosts added and removed,
    the endpoint moved between the backend's two ports, and (when the peer has a TLS Secret) the
    default certificate replaced every CHURN_CERTIFICATE_EVERY changes while a second load makes a
    new TLS handshake per request. Every failed request is a bug."""
    import threading
    stop = threading.Event()
    changes = [0]
    replacements = [0]
    certificates = getattr(peer, "tls_certificates", None)
    last_certificate = [certificates[0] if certificates else None]

    def rewrite():
        i = 0
        while not stop.wait(interval):
            i += 1
            write_manifests(peer.manifests, BACKEND_PORT2 if i % 2 else BACKEND_PORT, extra_hosts=i % 7)
            changes[0] += 1
            if certificates and i % CHURN_CERTIFICATE_EVERY == 0:
                crt, key = certificates[(i // CHURN_CERTIFICATE_EVERY) % len(certificates)]
                write_tls_secret(peer.manifests, crt, key)
                last_certificate[0] = (crt, key)
                replacements[0] += 1
    tls = {}

    def handshakes():
        # Full handshakes, so new connections meet each replaced certificate while keep-alive runs.
        out = subprocess.run(["wrk", "-t1", "-c10", f"-d{duration}s", "-s", os.path.join(HERE, "close.lua"),
                              f"https://127.0.0.1:{peer.tls_port}/small"], capture_output=True, text=True).stdout
        m = re.search(r"GATEHOUSE_RESULT (.*)", out)
        tls.update({k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())} if m else {"missing": 1})
    t = threading.Thread(target=rewrite, daemon=True)
    h = threading.Thread(target=handshakes, daemon=True) if certificates else None
    t.start()
    if h:
        h.start()
    try:
        r = run_wrk(peer.port, "ka50", duration)
    finally:
        stop.set()
        t.join()
        if h:
            h.join()
        write_manifests(peer.manifests, BACKEND_PORT, extra_hosts=BENCH_HOSTS)
    if certificates:
        # The last replacement must be what new handshakes get once it has been applied.
        want = certificate_fingerprint(open(last_certificate[0][0]).read())
        deadline = time.time() + 10
        while (got := served_certificate(peer.tls_port)) != want and time.time() < deadline:
            time.sleep(0.1)
        tls.update({"replacements": replacements[0], "current": got == want})
    generation = None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{GATEHOUSE_ADMIN}/config", timeout=2) as resp:
            generation = json.load(resp).get("generation")
    except Exception:
        pass
    return r, changes[0], generation, (tls or None)


def gatehouse_peer(work, bindir, hosts=BENCH_HOSTS, name="gatehouse", port=GATEHOUSE_PORT, tls_certificates=None, proxy_args=()):
    """A controller on a manifests folder and a proxy on its channel; the proxy's admin port is
    port + 1, the controller's port + 2, HTTPS port + 3. With tls_certificates ([(crt, key), ...]) the
    first is the default certificate (Secret default/churn-tls) and churn replaces it with the others."""
    manifests = os.path.join(work, f"{name}-manifests")
    os.makedirs(manifests, exist_ok=True)
    write_manifests(manifests, BACKEND_PORT, extra_hosts=hosts)
    tls_flags = []
    if tls_certificates:
        write_tls_secret(manifests, *tls_certificates[0])
        tls_flags = ["--default-ssl-certificate", "default/churn-tls"]
    channel = os.path.join(work, f"{name}-config.bin")
    controller = spawn([os.path.join(bindir, "gatehouse-controller"), "--manifests", manifests, "--channel", channel,
                        "--admin-port", str(port + 2), "--debounce-ms", "20", *tls_flags])

    def start():
        return spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", channel, "--address", "127.0.0.1",
                      "--http-port", str(port), "--admin-port", str(port + 1), "--https-port", str(port + 3), *proxy_args])
    peer = Peer(name, port, start)
    peer.admin_port = port + 1
    peer.controller = controller
    peer.manifests = manifests
    peer.channel = channel
    peer.tls_port = port + 3
    peer.tls_certificates = tls_certificates
    return peer


def gatehouse_nolog_peer(gatehouse, bindir):
    """A second proxy on the first one's channel with --access-log off: with the default peer in the
    same run, the difference is the access log's cost (per-request metrics are always on)."""
    def start():
        return spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", gatehouse.channel, "--address", "127.0.0.1",
                      "--http-port", "19070", "--admin-port", "19071", "--https-port", "19073", "--access-log", "off"])
    peer = Peer("gatehouse --access-log off", 19070, start)
    peer.admin_port = 19071
    return peer


NOROUTE_PORT = 19080


def gatehouse_noroute_peer(work, bindir):
    """Gatehouse answering by itself: its config has no catch-all and no named hosts, so every bench
    request matches no route and gets the proxy's own 404. Kestrel, the request handler, routing,
    metrics and the access log all run; nothing is forwarded. Next to the 'gatehouse' peer, the
    difference is what the forwarding leg costs."""
    manifests = os.path.join(work, "noroute-manifests")
    os.makedirs(manifests, exist_ok=True)
    write_manifests(manifests, BACKEND_PORT, extra_hosts=0, catch_all=False)
    channel = os.path.join(work, "noroute-config.bin")
    controller = spawn([os.path.join(bindir, "gatehouse-controller"), "--manifests", manifests, "--channel", channel,
                        "--admin-port", str(NOROUTE_PORT + 2), "--debounce-ms", "20"])

    def start():
        return spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", channel, "--address", "127.0.0.1",
                      "--http-port", str(NOROUTE_PORT), "--admin-port", str(NOROUTE_PORT + 1), "--https-port", str(NOROUTE_PORT + 3)])
    peer = Peer("gatehouse-noroute (own 404)", NOROUTE_PORT, start)
    peer.admin_port = NOROUTE_PORT + 1
    peer.controller = controller
    peer.answers_404 = True
    return peer


SCALE_PORT, SCALE_NGINX_PORT = 19050, 19060
CEILING_PORT = 19070


def epoll_ceiling_peer(work):
    """A reference peer, not a product: bench/Gatehouse.EpollCeiling, one thread forwarding over
    epoll through P/Invoke with no async layers and no per-request allocation. What .NET reaches
    with nginx's syscall pattern on this machine: the ceiling for an owned event loop."""
    out = os.path.join(work, "epoll-ceiling")
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "bench", "Gatehouse.EpollCeiling"), "-c", "Release", "-o", out,
                    "--nologo", "-v", "q"], check=True, stdout=subprocess.DEVNULL)
    return Peer("epoll-ceiling (reference)", CEILING_PORT, lambda: spawn(
        [os.path.join(out, "gatehouse-epoll-ceiling"), "--port", str(CEILING_PORT), "--backend-port", str(BACKEND_PORT)]))


def rss_mb(pid, field="VmRSS"):
    """Current (VmRSS) or peak (VmHWM) resident memory of one process."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid):
    """Proportional set size of a process tree: pages shared between nginx's master and workers
    counted once, which summing RSS would not."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def metric_value(port, name):
    """The value of an unlabelled Prometheus sample on an admin port."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise RuntimeError(f"{name} not found on :{port}/metrics")


def metric_sum_count(port, name):
    """(sum, count) of a Prometheus histogram on an admin port."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith(name + "_sum"):
            total = float(line.split()[-1])
        elif line.startswith(name + "_count"):
            count = float(line.split()[-1])
    return total, count


def probe(conn_port, host, deadline, want=200):
    """Polls GET /small with the given Host until it answers `want`; returns the time it took."""
    import http.client
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", conn_port, timeout=10)
    try:
        while time.monotonic() - start < deadline:
            try:
                conn.request("GET", "/small", headers={"Host": host})
                resp = conn.getresponse()
                resp.read()
                if resp.status == want:
                    return time.monotonic() - start
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", conn_port, timeout=10)
            time.sleep(0.002)
    finally:
        conn.close()
    raise RuntimeError(f"{host} not served within {deadline}s")


def write_change(manifests, j):
    """One extra Ingress in its own file, renamed over the previous one: each change adds a host and
    removes the previous change's."""
    tmp = os.path.join(manifests, ".change.yaml.tmp")
    with open(tmp, "w") as f:
        f.write(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: change, namespace: default}}
spec:
  rules:
  - host: change-{j}.bench.test
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: backend, port: {{name: http}}}}}}}}
""")
    os.replace(tmp, os.path.join(manifests, "change.yaml"))


def scale_run(work, bindir, hosts, changes, files=1):
    """Controller and proxy on `hosts` Ingresses (no catch-all): cold start to the last host served,
    then `changes` manifest changes, each timed from the rename to the first 200 on the new host."""
    d = os.path.join(work, f"scale-{hosts}")
    manifests = os.path.join(d, "manifests")
    os.makedirs(manifests)
    write_manifests(manifests, BACKEND_PORT, extra_hosts=hosts, catch_all=False, files=files)
    channel = os.path.join(d, "config.bin")
    start = time.monotonic()
    controller = spawn([os.path.join(bindir, "gatehouse-controller"), "--manifests", manifests, "--channel", channel,
                        "--admin-port", str(SCALE_PORT + 2), "--debounce-ms", "20"])
    proxy = spawn([os.path.join(bindir, "gatehouse-proxy"), "--channel", channel, "--address", "127.0.0.1",
                   "--http-port", str(SCALE_PORT), "--admin-port", str(SCALE_PORT + 1), "--https-port", str(SCALE_PORT + 3)])
    try:
        probe(SCALE_PORT, f"host-{hosts - 1}.bench.test", deadline=900)
        cold = time.monotonic() - start
        pub0 = metric_sum_count(SCALE_PORT + 2, "gatehouse_controller_publish_duration_seconds")
        swap0 = metric_sum_count(SCALE_PORT + 1, "gatehouse_config_swap_duration_seconds")
        latencies = []
        for j in range(changes):
            write_change(manifests, j)
            latencies.append(probe(SCALE_PORT, f"change-{j}.bench.test", deadline=300))
        pub1 = metric_sum_count(SCALE_PORT + 2, "gatehouse_controller_publish_duration_seconds")
        swap1 = metric_sum_count(SCALE_PORT + 1, "gatehouse_config_swap_duration_seconds")
        per = lambda a, b: (b[0] - a[0]) / (b[1] - a[1]) if b[1] > a[1] else float("nan")
        # In order, so a slow first change (cold code) is told apart from a slow one later (a GC, a full merge).
        print(f"  {hosts} hosts, change -> served ms in order: " + " ".join(f"{x * 1000:.0f}" for x in latencies), flush=True)
        latencies.sort()
        pct = lambda q: latencies[min(len(latencies) - 1, int(round(q * (len(latencies) - 1))))]
        return {"hosts": hosts, "cold_s": cold, "changes": changes, "p50_ms": pct(0.5) * 1000, "p99_ms": pct(0.99) * 1000,
                "max_ms": latencies[-1] * 1000, "publish_ms": per(pub0, pub1) * 1000, "swap_ms": per(swap0, swap1) * 1000,
                "publishes": int(pub1[1] - pub0[1]), "swaps": int(swap1[1] - swap0[1]),
                "proxy_rss": rss_mb(proxy.pid), "proxy_hwm": rss_mb(proxy.pid, "VmHWM"),
                "controller_rss": rss_mb(controller.pid), "controller_hwm": rss_mb(controller.pid, "VmHWM")}
    finally:
        for p in (proxy, controller):
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def nginx_scale_rss(work, hosts, workers):
    """RSS of nginx holding `hosts` server blocks (the seeds' comparison: 30k domains), idle after one
    request to the last host."""
    conf = nginx_conf(work, "nginx-scale", f"""  upstream be {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 256; }}
  server_names_hash_max_size 262144; server_names_hash_bucket_size 128;
{nginx_host_blocks(SCALE_NGINX_PORT, hosts)}""", workers)
    start = time.monotonic()
    p = spawn(["nginx", "-c", conf, "-p", work])
    try:
        probe(SCALE_NGINX_PORT, f"host-{hosts - 1}.bench.test", deadline=600)
        ready = time.monotonic() - start
        time.sleep(1)  # workers finish initialising
        rss = sum(rss_mb(x) for x in tree_pids(p.pid))
        return {"hosts": hosts, "rss_sum": rss, "pss": pss_mb(p.pid), "processes": len(tree_pids(p.pid)), "ready_s": ready}
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(30)


def scale_main(args):
    ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-scale-", dir=WORK_ROOT)
    os.chmod(work, 0o755)
    backend = start_backend(work)
    try:
        rows = []
        for hosts in (int(x) for x in args.scale.split(",")):
            r = scale_run(work, args.bin, hosts, args.scale_changes, args.scale_files)
            print(f"scale {hosts}: cold start {r['cold_s']:.1f} s, change->served p50 {r['p50_ms']:.0f} ms p99 {r['p99_ms']:.0f} ms, "
                  f"publish {r['publish_ms']:.1f} ms, swap {r['swap_ms']:.1f} ms, proxy RSS {r['proxy_rss']:.0f} MB", flush=True)
            rows.append(r)
        ng = nginx_scale_rss(work, args.scale_nginx_hosts, args.nginx_workers) if args.scale_nginx_hosts else None
        if ng:
            print(f"nginx {ng['hosts']} server blocks: RSS sum {ng['rss_sum']:.0f} MB, PSS {ng['pss']:.0f} MB", flush=True)
        write_scale_report(args, rows, ng)
    finally:
        os.killpg(backend.pid, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)


def write_scale_report(args, rows, ng):
    lines = ["# Scale runs: hosts in the config, change to served, publish and swap, memory", "",
             f"_{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `python3 bench/load/run.py --scale {args.scale} "
             f"--scale-changes {args.scale_changes} --scale-nginx-hosts {args.scale_nginx_hosts} --scale-files {args.scale_files}`; one Ingress per host "
             "(host-N.bench.test, path /, one Service), no catch-all; controller on a manifests folder (debounce 20 ms), "
             "proxy polling the channel (default 10 ms); "
             f"work files (manifests, channel) in {WORK_ROOT or tempfile.gettempdir()}._", ""]
    lines += [f"- {v}" for v in versions(args.bin)] + [""]
    lines += ["| hosts | cold start → last host served s | change → served p50 ms | p99 ms | max ms | controller publish ms (mean) "
              "| proxy swap ms (mean) | proxy RSS MB | proxy peak RSS MB | controller RSS MB | controller peak RSS MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['hosts']:,} | {r['cold_s']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | "
                     f"{r['publish_ms']:.1f} | {r['swap_ms']:.1f} | {r['proxy_rss']:.0f} | {r['proxy_hwm']:.0f} | {r['controller_rss']:.0f} | {r['controller_hwm']:.0f} |")
    lines += ["", f"Change → served: a new Ingress renamed into the folder, timed until the proxy first answers 200 for its "
              f"host (polled every 2 ms); {args.scale_changes} changes per size, each replacing the previous one. Publish and "
              "swap are the means of `gatehouse_controller_publish_duration_seconds` and `gatehouse_config_swap_duration_seconds` "
              "over those changes (read from /metrics). RSS is sampled once after the changes: the controller's moves "
              "with its GC (at 100k hosts between about 0.6 and 2 GB from one second to the next), so its peak is the steadier figure."]
    if ng:
        lines += ["", f"nginx holding {ng['hosts']:,} hosts as server blocks ({ng['processes']} processes, worker_processes "
                  f"{args.nginx_workers}): RSS summed over processes {ng['rss_sum']:.0f} MB, PSS (shared pages counted once) "
                  f"{ng['pss']:.0f} MB; started and serving the last host in {ng['ready_s']:.1f} s."]
    os.makedirs(os.path.dirname(args.scale_out), exist_ok=True)
    with open(args.scale_out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def run_wrk(port, scenario, duration):
    conns, path, script, _ = SCENARIOS[scenario]
    extra = ["--", str(BENCH_HOSTS)] if script == "hosts.lua" else []
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "-s", os.path.join(HERE, script),
                          f"http://127.0.0.1:{port}{path}", *extra], capture_output=True, text=True, check=True).stdout
    m = re.search(r"GATEHOUSE_RESULT (.*)", out)
    if not m:
        raise RuntimeError("wrk printed no result:\n" + out)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return r


def measure(peer, scenario, duration):
    allocated = lambda: metric_value(peer.admin_port, "gatehouse_process_allocated_bytes_total") if peer.admin_port else 0.0
    # A scrape allocates too (its page grows with the series: 1,000 hosts' histograms once hosts1k ran),
    # and the window below ends in one: two scrapes back to back measure that, and it is taken out.
    scrape = -allocated()
    alloc0 = allocated()
    scrape += alloc0
    cpu0 = cpu_seconds(peer.proc.pid)
    r = run_wrk(peer.port, scenario, duration)
    cpu, alloc = cpu_seconds(peer.proc.pid) - cpu0, max(allocated() - alloc0 - scrape, 0.0)
    secs = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["timeout"] + (0 if peer.answers_404 else r["status"])
    return {"rps": r["requests"] / secs, "p50": r["p50"] / 1000, "p99": r["p99"] / 1000, "p999": r["p999"] / 1000,
            "errors": errors, "non2xx": r["non2xx"], "cpu100k": cpu / max(r["requests"], 1) * 1e5,
            "us": cpu / max(r["requests"], 1) * 1e6,
            "alloc": alloc / max(r["requests"], 1) if peer.admin_port else None}


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
    ap.add_argument("--scenarios", default="ka50,ka200,ka16k,close,hosts1k",
                    help="comma-separated; known: " + ",".join(SCENARIOS) + "; pending (listed as skipped): " + ",".join(PENDING_SCENARIOS))
    ap.add_argument("--peers", default="direct,nginx,haproxy,gatehouse",
                    help="comma-separated: direct (the backend alone), nginx, haproxy, gatehouse; also gatehouse-nolog "
                    "(a second proxy with --access-log off) and gatehouse-noroute (a proxy answering its own 404: "
                    "the server side without the forwarding leg), and epoll-ceiling (bench/Gatehouse.EpollCeiling: a one-thread "
                    "epoll forwarder in C#, the reference for what an owned event loop could reach)")
    ap.add_argument("--nginx-workers", default="auto")
    ap.add_argument("--churn", type=int, default=10, help="seconds of keep-alive load on Gatehouse while manifests change every 100 ms (0: skip)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "artifacts", "bin"))
    ap.add_argument("--compare-bin", help="a second Gatehouse build (e.g. the commit before an optimisation) run as "
                    "peer 'gatehouse-base' in the same interleaved rounds: the A/B figure for a commit message")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--scale", help="scale runs instead of the load scenarios: comma-separated host counts, e.g. 1000,10000,30000,100000")
    ap.add_argument("--scale-changes", type=int, default=30, help="manifest changes timed per size")
    ap.add_argument("--scale-files", type=int, default=1, help="manifest files the scale runs' hosts are spread over")
    ap.add_argument("--scale-nginx-hosts", type=int, default=30000, help="server blocks for the nginx memory comparison (0: skip)")
    ap.add_argument("--scale-out", default=os.path.join(ROOT, "bench", "results", "scale.md"))
    ap.add_argument("--tls", action="store_true", help="run only the TLS termination comparison (writes results/tls.md)")
    args = ap.parse_args()
    if args.tls:
        return tls_main(args)
    if args.scale:
        scale_main(args)
        return

    ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-load-", dir=WORK_ROOT)
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
        if "gatehouse" in wanted or "gatehouse-nolog" in wanted:
            # An RSA and a P-256 certificate for churn to swap (the TLS default; plain-HTTP scenarios never see it).
            certificates = list(tls_certificates(work).values()) if args.churn > 0 else None
            peers.append(gatehouse_peer(work, args.bin, tls_certificates=certificates))
        if "gatehouse-nolog" in wanted:
            peers.append(gatehouse_nolog_peer(peers[-1], args.bin))
        if "gatehouse-noroute" in wanted:
            peers.append(gatehouse_noroute_peer(work, args.bin))
        if "epoll-ceiling" in wanted:
            peers.append(epoll_ceiling_peer(work))
        if args.compare_bin:
            peers.append(gatehouse_peer(work, args.compare_bin, name="gatehouse-base", port=GATEHOUSE_BASE_PORT))
        for p in peers:
            p.start()
        wanted_scenarios = args.scenarios.split(",")
        unknown = [s for s in wanted_scenarios if s not in SCENARIOS and s not in PENDING_SCENARIOS]
        if unknown:
            raise SystemExit(f"unknown scenario(s): {','.join(unknown)}")
        scenarios = [s for s in wanted_scenarios if s in SCENARIOS]
        for s in PENDING_SCENARIOS:
            print(f"skipped {s}: {PENDING_SCENARIOS[s][1]}", flush=True)
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
            r, n, gen, tls = churn_result
            print(f"churn: generation at the end {gen}", flush=True)
            print(f"churn: {r['requests']} requests, {n} manifest changes, errors {r['connect'] + r['read'] + r['write'] + r['timeout']}, non-2xx {r['non2xx']}", flush=True)
            if tls:
                print(f"churn TLS: {tls}", flush=True)
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
             f"--reps {args.reps} --scenarios {args.scenarios} --peers {args.peers}"
             + (f" --compare-bin {args.compare_bin}" if args.compare_bin else "") + f"`; medians of {args.reps} interleaved runs; "
             "wrk -t1, load generator, peers and backend share the machine._", ""]
    lines += [f"- {v}" for v in versions(args.bin)] + [""]
    lines += ["| scenario | peer | req/s | p50 ms | p99 ms | p99.9 ms | errors | non-2xx | CPU s / 100k req | µs CPU / req | B allocated / req | peak RSS MB | req/s vs nginx | p99 vs nginx |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in scenarios:
        base = results.get((s, "nginx"))
        for p in peers:
            xs = results[(s, p.name)]
            ratio = f"{med(xs, 'rps') / med(base, 'rps'):.2f}x" if base else "–"
            p99r = f"{med(xs, 'p99') / med(base, 'p99'):.2f}x" if base else "–"
            # Managed-heap bytes (gatehouse_process_allocated_bytes_total); nginx and HAProxy have no counterpart.
            alloc = f"{med(xs, 'alloc'):.0f}" if p.admin_port else "–"
            lines.append(f"| {SCENARIOS[s][3]} | {p.name} | {med(xs, 'rps'):.0f} | {med(xs, 'p50'):.2f} | {med(xs, 'p99'):.2f} | "
                         f"{med(xs, 'p999'):.2f} | {sum(x['errors'] for x in xs)} | {sum(x['non2xx'] for x in xs)} | "
                         f"{med(xs, 'cpu100k'):.2f} | {med(xs, 'us'):.1f} | {alloc} | {rss[p.name]:.0f} | {ratio} | {p99r} |")
    lines += ["", "Each round on its own (req/s of every repetition in order, and the ratio to nginx's run next to it). "
              "A one-loop Gatehouse has a slow mode on this 2-core machine, when the scheduler puts wrk on the loop's core "
              "(docs/performance.md, \"Session 11\"); a round in it reads about 40% low, and two such rounds out of three "
              "make the median.", "",
              "| scenario | peer | req/s per round | / nginx per round |", "|---|---|---|---|"]
    for s in scenarios:
        base = results.get((s, "nginx"))
        for p in peers:
            if p.name == "nginx":
                continue
            xs = results[(s, p.name)]
            per_round = " / ".join(f"{x['rps'] / 1000:.1f}k" for x in xs)
            ratios = " / ".join(f"{x['rps'] / b['rps']:.2f}" for x, b in zip(xs, base)) if base else "–"
            lines.append(f"| {s} | {p.name} | {per_round} | {ratios} |")
    if any(p.answers_404 for p in peers):
        lines += ["", "`gatehouse-noroute` answers every request with its own 404 (no route for the host): Kestrel, the "
                  "request handler, routing, metrics and the access log, without forwarding. Its non-2xx are those "
                  "answers, and its ratio compares answering with nginx's proxying. Its CPU per request next to "
                  "`gatehouse`'s shows what the forwarding leg costs."]
    lines += ["", "Not measured yet (the scenario is defined, its feature is not):", ""]
    lines += [f"- {desc} (`{name}`): skipped, {reason}" for name, (desc, reason) in PENDING_SCENARIOS.items()]
    if churn_result:
        r, n, gen, tls = churn_result
        lines += ["", "## Churn: keep-alive load while the manifests change every 100 ms", "",
                  f"Gatehouse, wrk -c50 for {args.churn} s while a writer renamed a new manifest into the folder every 100 ms "
                  "(0–6 extra hosts added/removed, the endpoint moved between the backend's two ports).", "",
                  "| requests | manifest changes | generation at the end | connect/read/write errors | timeouts | non-2xx |",
                  "|---|---|---|---|---|---|",
                  f"| {r['requests']} | {n} | {gen} | {r['connect'] + r['read'] + r['write']} | {r['timeout']} | {r['non2xx']} |", "",
                  "Every figure after the third column must be 0: an update that loses a request is a bug."]
        if tls:
            lines += ["", f"At the same time, wrk -c10 over HTTPS with a new TLS handshake per request while the default "
                      f"certificate (Secret default/churn-tls) was replaced every {CHURN_CERTIFICATE_EVERY} manifest changes, "
                      "alternating RSA-2048 and P-256:", "",
                      "| HTTPS requests | certificate replacements | connect/read/write errors | timeouts | non-2xx | new handshakes get the last certificate |",
                      "|---|---|---|---|---|---|",
                      f"| {tls.get('requests', 0)} | {tls.get('replacements', 0)} | {tls.get('connect', 0) + tls.get('read', 0) + tls.get('write', 0)} | "
                      f"{tls.get('timeout', 0)} | {tls.get('status', 0)} | {'yes' if tls.get('current') else 'NO'} |"]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


# ---- TLS termination: Gatehouse and nginx with the same RSA-2048 and P-256 certificates ---------------
# Self-contained: `run.py --tls` runs only this comparison (own ports, own gatehouse pair) and writes
# bench/results/tls.md. The certificate is each peer's default one (wrk's SNI is the IP literal).
TLS_NGINX_PORT, TLS_GATEHOUSE_HTTP, TLS_GATEHOUSE_HTTPS, TLS_GATEHOUSE_ADMIN, TLS_CONTROLLER_ADMIN = 19050, 19051, 19052, 19053, 19054
H2_WARMUP = 15
TLS_SCENARIOS = {"ka50": "keep-alive HTTPS, 50 connections", "close": "full handshake per request, 50 connections",
                 "h2": "HTTP/2 (ALPN h2), 50 connections x 10 streams (h2load)",
                 "mixed": "keep-alive HTTPS, 50 connections, while 10 more make a full handshake per request (req/s and p99 are the keep-alive ones; CPU/req counts the handshakes too)"}


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
  server {{ listen 127.0.0.1:{TLS_NGINX_PORT} ssl http2 backlog=4096; ssl_certificate {crt}; ssl_certificate_key {key};
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
    peer.admin_port = TLS_GATEHOUSE_ADMIN
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


def tls_h2load(port, duration):
    # h2load has no percentiles; its mean request time stands in the p99 column (marked in the report).
    out = subprocess.run(["h2load", "-t1", "-c50", "-m10", "-D", str(duration), f"https://127.0.0.1:{port}/small"],
                         capture_output=True, text=True).stdout
    done = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    rate = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out)
    status = re.search(r"status codes: (\d+) 2xx", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
    proto = re.search(r"Application protocol: (\S+)", out)
    if not (done and rate and status and mean and proto):
        raise RuntimeError("h2load printed no result:\n" + out)
    if proto.group(1) != "h2":
        raise RuntimeError(f"h2load negotiated {proto.group(1)}, not h2")
    m = mean.group(1)
    mean_ms = float(m[:-2]) if m.endswith("ms") else float(m[:-2]) / 1000 if m.endswith("us") else float(m[:-1]) * 1000
    failed = int(done.group(5)) + int(done.group(6)) + int(done.group(7)) + (int(done.group(3)) - int(status.group(1)))
    return {"rps": float(rate.group(1)), "p99": mean_ms, "errors": failed}


def tls_wrk(port, scenario, duration):
    if scenario == "h2":
        return tls_h2load(port, duration)
    if scenario == "mixed":
        return tls_mixed(port, duration)
    script = "close.lua" if scenario == "close" else "percentiles.lua"
    out = subprocess.run(["wrk", "-t1", "-c50", f"-d{duration}s", "--latency", "-s", os.path.join(HERE, script),
                          f"https://127.0.0.1:{port}/small"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"GATEHOUSE_RESULT (.*)", out)
    if not m:
        raise RuntimeError("wrk printed no result:\n" + out)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p99": r["p99"] / 1000,
            "errors": r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]}


def tls_mixed(port, duration):
    """Keep-alive HTTPS measured while a second client makes a full handshake per request on the same
    peer: what a storm of new TLS connections (a deploy, a reconnecting fleet) does to the requests
    already flowing. The handshakes run on the same event loop in Gatehouse, in the same workers in nginx."""
    storm = {}

    def handshakes():
        out = subprocess.run(["wrk", "-t1", "-c10", f"-d{duration + 1}s", "-s", os.path.join(HERE, "close.lua"),
                              f"https://127.0.0.1:{port}/small"], capture_output=True, text=True).stdout
        m = re.search(r"GATEHOUSE_RESULT (.*)", out)
        r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())} if m else None
        storm["rate"] = r["requests"] / (r["duration_us"] / 1e6) if r else 0.0
        storm["errors"] = (r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"]) if r else 1

    thread = threading.Thread(target=handshakes)
    thread.start()
    time.sleep(0.5)  # the storm is under way before the keep-alive measurement starts
    r = tls_wrk(port, "ka50", duration)
    thread.join()
    r["handshakes"] = storm["rate"]
    r["errors"] += storm["errors"]
    return r


def tls_main(args):
    ensure_tools()
    work = tempfile.mkdtemp(prefix="gatehouse-tls-", dir=WORK_ROOT)
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
                    # HTTP/2 runs code the HTTP/1.1 scenarios never reached: Gatehouse's tiering JIT is still
                    # busy 8-16 s into h2 load (docs/performance.md, Session 11), so h2 warms for 15 s.
                    tls_wrk(p.port, s, max(args.warmup, H2_WARMUP) if s == "h2" else args.warmup)
            for rep in range(args.reps):
                for s in TLS_SCENARIOS:
                    for p in peers:
                        allocated = lambda: metric_value(p.admin_port, "gatehouse_process_allocated_bytes_total") if p.admin_port else 0.0
                        cpu0, alloc0, t0 = cpu_seconds(p.proc.pid), allocated(), time.monotonic()
                        r = tls_wrk(p.port, s, args.duration)
                        # CPU of the peer's whole process tree (nginx's workers too) per request served.
                        served = max(r["rps"] * (time.monotonic() - t0), 1)
                        r["us"] = 1e6 * (cpu_seconds(p.proc.pid) - cpu0) / served
                        r["alloc"] = (allocated() - alloc0) / served if p.admin_port else None
                        results.setdefault((kind, s, p.name), []).append(r)
                        alloc = f" {r['alloc']:.0f} B/req" if r["alloc"] is not None else ""
                        alloc += f" with {r['handshakes']:.0f} handshakes/s beside" if "handshakes" in r else ""
                        print(f"tls {kind:5} rep {rep + 1} {s:6} {p.name:10} {r['rps']:9.0f} req/s p99 {r['p99']:.2f} ms "
                              f"{r['us']:.1f} us CPU/req{alloc} errors {r['errors']}", flush=True)
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
             f"medians of {args.reps} interleaved runs; wrk -t1 -c50; nginx without session cache or tickets, so `close` is a full handshake per request on both; "
             "the h2 rows come from h2load, whose p99 column is its mean request time; each scenario is warmed for "
             f"{args.warmup} s on each peer first, h2 for {max(args.warmup, H2_WARMUP)} s._", ""]
    lines += [f"- {v}" for v in versions(args.bin)] + ["",
              "| certificate | scenario | peer | req/s | p99 ms | µs CPU/req | B alloc/req | errors | req/s vs nginx | CPU/req vs nginx |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for kind in ("rsa", "ecdsa"):
        for s, description in TLS_SCENARIOS.items():
            base = results.get((kind, s, "nginx"))
            for name in ("nginx", "gatehouse"):
                xs = results.get((kind, s, name))
                if xs:
                    ratio = f"{med(xs, 'rps') / med(base, 'rps'):.2f}x" if base else "–"
                    cpu_ratio = f"{med(xs, 'us') / med(base, 'us'):.2f}x" if base else "–"
                    label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
                    alloc = f"{med(xs, 'alloc'):.0f}" if xs[0]["alloc"] is not None else "–"
                    lines.append(f"| {label} | {description} | {name} | {med(xs, 'rps'):.0f} | {med(xs, 'p99'):.2f} | {med(xs, 'us'):.1f} | {alloc} | "
                                 f"{sum(x['errors'] for x in xs)} | {ratio} | {cpu_ratio} |")
    lines += ["", "Each round on its own (Gatehouse's req/s per repetition, and the ratio to nginx's run next to it; "
              "see the slow mode in docs/performance.md, \"Session 11\"):", "",
              "| certificate | scenario | Gatehouse req/s per round | / nginx per round |", "|---|---|---|---|"]
    for kind in ("rsa", "ecdsa"):
        for s in TLS_SCENARIOS:
            xs, base = results.get((kind, s, "gatehouse")), results.get((kind, s, "nginx"))
            if xs and base:
                per_round = " / ".join("%.1fk" % (x["rps"] / 1000) for x in xs)
                ratios = " / ".join("%.2f" % (x["rps"] / b["rps"]) for x, b in zip(xs, base))
                lines.append(f"| {kind} | {s} | {per_round} | {ratios} |")
    storms = [(kind, name, statistics.median(x["handshakes"] for x in results[(kind, "mixed", name)]))
              for kind in ("rsa", "ecdsa") for name in ("nginx", "gatehouse") if results.get((kind, "mixed", name))]
    if storms:
        lines += ["", "Full handshakes per second completed beside the `mixed` keep-alive load (median):", "",
                  "| certificate | peer | handshakes/s |", "|---|---|---|"]
        lines += [f"| {kind} | {name} | {rate:.0f} |" for kind, name, rate in storms]
    out = os.path.join(os.path.dirname(args.out), "tls.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
