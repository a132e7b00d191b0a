#!/usr/bin/python3
"""Independent reader of a Gatehouse config channel file.

Written from docs/channel.md and docs/channel-payload.md only (no Gatehouse code), using python3's
msgpack module, to prove the documents are enough to read a live file. Prints JSON shaped like
`gatehouse-dump --json`: {"header": {...}, "config": {...} | null}.

usage: /usr/bin/python3 tests/tools/read_channel.py PATH [--show-secrets]
Exit codes: 0 ok, 1 unreadable/corrupt, 2 usage.
"""

import datetime
import json
import os
import struct
import sys

import msgpack

MAGIC = b"GHCFGCHN"
HEADER_REGION = 4096
NO_ACTIVE_SLOT = 0xFFFFFFFF
MATCH = {0: "Exact", 1: "Prefix", 2: "ImplementationSpecific"}
PROTOCOL = {0: "Http", 1: "Https", 2: "Grpc", 3: "Grpcs"}
REDACTED = "<redacted>"
RETRIES = 50


class ChannelError(Exception):
    pass


def crc32c(data):
    """CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF."""
    table = crc32c.table
    if table is None:
        table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None


def read_at(f, offset, size):
    f.seek(offset)
    return f.read(size)


def format_guid(raw):
    # RFC 4122 byte order: the bytes in order, as hex, are the canonical string.
    h = raw.hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def format_time(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_slot(raw, index, active, f, file_length):
    seq, offset, capacity, length, generation, written_at, crc, major, minor = struct.unpack_from("<QQQQqqIHH", raw)
    crc_ok = False
    payload = None
    if (offset >= HEADER_REGION and offset % 4096 == 0 and capacity % 4096 == 0
            and length <= capacity and offset + capacity <= file_length):
        payload = read_at(f, offset, length)
        crc_ok = len(payload) == length and crc32c(payload) == crc
    return {
        "index": index,
        "active": active == index,
        "sequence": seq,
        "offset": offset,
        "capacity": capacity,
        "length": length,
        "generation": generation,
        "crc": f"0x{crc:08x}",
        "crcOk": crc_ok,
        "schema": f"{major}.{minor}",
        "writtenAt": format_time(written_at),
    }, payload


def read_header(f, path):
    file_length = os.fstat(f.fileno()).st_size
    if file_length < HEADER_REGION:
        raise ChannelError("truncated: file shorter than 4096 bytes")
    for _ in range(RETRIES):
        raw = read_at(f, 0, 256)
        magic, layout, header_size = struct.unpack_from("<8sII", raw)
        if magic != MAGIC:
            raise ChannelError("magic: not a channel file")
        if layout != 1:
            raise ChannelError(f"layout_version: {layout}")
        if header_size != 256:
            raise ChannelError(f"header_size: {header_size}")
        # Seqlock: the header (generation, active slot) is consistent only if the sequence is even
        # and unchanged across the read.
        (seq,) = struct.unpack_from("<Q", raw, 32)
        generation, active = struct.unpack_from("<qI", raw, 40)
        (seq_again,) = struct.unpack_from("<Q", read_at(f, 32, 8))
        if seq % 2 == 1 or seq != seq_again:
            continue
        if active != NO_ACTIVE_SLOT and active > 1:
            raise ChannelError(f"active_slot: {active}")
        slots = []
        payloads = []
        for i in range(2):
            info, payload = parse_slot(raw[64 + 64 * i:128 + 64 * i], i, active, f, file_length)
            slots.append(info)
            payloads.append(payload)
        header = {
            "path": os.path.abspath(path),
            "fileLength": file_length,
            "layoutVersion": layout,
            "headerSize": header_size,
            "instanceId": format_guid(raw[16:32]),
            "headerSequence": seq,
            "generation": generation,
            "activeSlot": -1 if active == NO_ACTIVE_SLOT else active,
            "slots": slots,
        }
        # The active slot must be a stable, even-sequence snapshot of the header's generation.
        if active != NO_ACTIVE_SLOT:
            (slot_seq,) = struct.unpack_from("<Q", read_at(f, 64 + 64 * active, 8))
            if slot_seq % 2 == 1 or slot_seq != slots[active]["sequence"] or slots[active]["generation"] != generation:
                continue
        return header, payloads
    raise ChannelError("torn: no consistent read")


MOD_OPERATOR = ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]
LOAD_BALANCE = ["RoundRobin", "Ewma"]
AFFINITY_MODE = ["Balanced", "Persistent"]
CANARY_BEHAVIOR = ["Sticky", "Legacy"]
CLIENT_VERIFY = ["Off", "On", "Optional", "OptionalNoCa"]
NEXT_UPSTREAM = ["Error", "Timeout", "InvalidHeader", "Http500", "Http502", "Http503", "Http504",
                 "Http403", "Http404", "Http429", "NonIdempotent"]


def headers(items):
    return [{"name": text(h.get("name")), "value": text(h.get("value"))} for h in items or []]


def affinity(a):
    if a is None:
        return None
    return {
        "mode": AFFINITY_MODE[a.get("mode", 0)],
        "cookieName": text(a.get("cookie_name"), "INGRESSCOOKIE"),
        "cookiePath": a.get("cookie_path"),
        "maxAgeSeconds": a.get("max_age"),
        "expiresSeconds": a.get("expires"),
        "sameSite": a.get("samesite"),
        "secure": a.get("secure", False),
        "domain": a.get("domain"),
        "canaryBehavior": CANARY_BEHAVIOR[a.get("canary_behavior", 0)],
    }


def upstream(u):
    if u is None:
        return None
    bits = u.get("next_upstream", 3)
    return {
        "loadBalance": LOAD_BALANCE[u.get("load_balance", 0)],
        "hashBy": u.get("hash_by"),
        "affinity": affinity(u.get("affinity")),
        "connectTimeoutMs": u.get("connect_timeout_ms", 0),
        "sendTimeoutMs": u.get("send_timeout_ms", 0),
        "readTimeoutMs": u.get("read_timeout_ms", 0),
        "nextUpstream": [name for i, name in enumerate(NEXT_UPSTREAM) if bits & (1 << i)],
        "nextUpstreamTries": u.get("next_upstream_tries", 3),
        "nextUpstreamTimeoutMs": u.get("next_upstream_timeout_ms", 0),
    }


def canary(c):
    return {
        "backend": text(c.get("backend")),
        "ingress": text(c.get("ingress")),
        "header": c.get("header"),
        "headerValues": list(c.get("header_values") or []),
        "headerPattern": c.get("header_pattern"),
        "cookie": c.get("cookie"),
        "cookieValues": list(c.get("cookie_values") or []),
        "query": c.get("query"),
        "queryValues": list(c.get("query_values") or []),
        "modDivisor": c.get("mod_divisor", 0),
        "modOperator": MOD_OPERATOR[c.get("mod_operator", 0)],
        "modRemainder": c.get("mod_remainder", 0),
        "weight": c.get("weight", 0),
        "weightTotal": c.get("weight_total", 100),
        "requestAddHeaders": headers(c.get("request_add_headers")),
        "requestAppendHeaders": headers(c.get("request_append_headers")),
        "requestAddQuery": c.get("request_add_query"),
        "responseAddHeaders": headers(c.get("response_add_headers")),
        "responseAppendHeaders": headers(c.get("response_append_headers")),
        "upstream": upstream(c.get("upstream")),
    }


def backend_tls(t):
    if t is None:
        return None
    return {
        "clientCertificate": t.get("client_certificate"),
        "trustedCaPem": t.get("trusted_ca_pem"),
        "verify": t.get("verify", False),
        "name": t.get("name"),
        "sendServerName": t.get("send_server_name", False),
    }


def tls_policy(t):
    if t is None:
        return None
    auth = t.get("client_auth")
    return {
        "protocols": list(t.get("protocols") or []),
        "ciphers": t.get("ciphers"),
        "clientAuth": None if auth is None else {
            "caPem": text(auth.get("ca_pem")),
            "verify": CLIENT_VERIFY[auth.get("verify", 1)],
            "depth": auth.get("depth", 1),
            "passCertificateToUpstream": auth.get("pass_certificate_to_upstream", False),
            "errorPage": auth.get("error_page"),
        },
    }


def text(value, default=""):
    return default if value is None else value


def decode_config(payload, show_secrets):
    # strict_map_key=False: readers must tolerate (and ignore) non-string keys.
    blob = msgpack.unpackb(payload, raw=False, strict_map_key=False, timestamp=0)
    if not isinstance(blob, dict) or not isinstance(blob.get("schema"), list) or len(blob["schema"]) < 2:
        raise ChannelError("payload has no valid \"schema\"")
    major, minor = blob["schema"][0], blob["schema"][1]
    if major != 1:
        raise ChannelError(f"schema {major}.{minor} is not 1.x")

    def routes(items):
        return [{
            "path": text(r.get("path")),
            "match": MATCH[r.get("match", 1)],
            "backend": text(r.get("backend")),
            "ingress": text(r.get("ingress")),
            "canaries": [canary(c) for c in r.get("canaries") or []],
            "upstream": upstream(r.get("upstream")),
            "sslRedirect": r.get("ssl_redirect", True),
            "forceSslRedirect": r.get("force_ssl_redirect", False),
            "accessLog": r.get("access_log", True),
            "backendTls": backend_tls(r.get("backend_tls")),
        } for r in items or []]

    return {
        "schema": f"{major}.{minor}",
        "generation": blob.get("generation", 0),
        "hosts": [{
            "host": text(h.get("host")),
            "certificate": h.get("certificate"),
            "routes": routes(h.get("routes")),
            "certificates": list(h.get("certificates") or []),
            "tls": tls_policy(h.get("tls")),
        } for h in blob.get("hosts") or []],
        "backends": [{
            "name": text(b.get("name")),
            "namespace": text(b.get("namespace")),
            "service": text(b.get("service")),
            "port": text(b.get("port")),
            "protocol": PROTOCOL[b.get("protocol", 0)],
            "endpoints": [{"address": text(e.get("address")), "port": e.get("port", 0)} for e in b.get("endpoints") or []],
        } for b in blob.get("backends") or []],
        "defaultBackend": blob.get("default_backend"),
        "certificates": [{
            "name": text(c.get("name")),
            "hosts": list(c.get("hosts") or []),
            "certificatePem": text(c.get("cert_pem")),
            "privateKeyPem": text(c.get("key_pem")) if show_secrets else REDACTED,
        } for c in blob.get("certificates") or []],
        "publishedBy": blob.get("published_by"),
        "configHash": blob.get("config_hash"),
        "defaultCertificate": blob.get("default_certificate"),
        "appliedObjects": [{
            "kind": text(a.get("kind")),
            "name": text(a.get("name")),
            "revision": text(a.get("revision")),
            "manifest": text(a.get("manifest")) if show_secrets or a.get("kind") != "Secret" else REDACTED,
        } for a in blob.get("applied_objects") or []],
    }


def main(argv):
    args = [a for a in argv if a != "--show-secrets"]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: read_channel.py PATH [--show-secrets]", file=sys.stderr)
        return 2
    path = args[0]
    try:
        with open(path, "rb") as f:
            header, payloads = read_header(f, path)
        config = None
        if header["activeSlot"] >= 0:
            slot = header["slots"][header["activeSlot"]]
            if not slot["crcOk"]:
                raise ChannelError(f"crc: active slot {slot['index']} does not match its CRC")
            config = decode_config(payloads[header["activeSlot"]], "--show-secrets" in argv)
    except (OSError, ChannelError, ValueError, KeyError, msgpack.UnpackException) as e:
        print(f"read_channel.py: {path}: {e}", file=sys.stderr)
        return 1
    json.dump({"header": header, "config": config}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
