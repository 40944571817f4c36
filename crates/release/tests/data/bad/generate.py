#!/usr/bin/env python3
"""Regenerate the bad-input corpus used by crates/release/tests/bad_input.rs.

Run from anywhere: `python3 crates/release/tests/data/bad/generate.py`. Deterministic (gzip
mtime 0); it only reads the real Helm records under tests/fixtures/real-helm/. The gzip bomb is
not here: bad_input.rs and gzip_bomb.rs build it at run time (200 MiB would be ~270 KB on disk).
See README.md next to this script for what each file holds and what the decoder must say.
"""
import base64
import gzip
import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[4]  # crates/release/tests/data/bad -> repository root
REAL = ROOT / "tests" / "fixtures" / "real-helm"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gz(data: bytes) -> bytes:
    # Helm writes gzip at best compression with mtime 0 and no name.
    return gzip.compress(data, compresslevel=9, mtime=0)


def real_release(path: str, index: int = 0) -> str:
    """The `data.release` value (API base64 of Helm's base64) of item `index` of a real file."""
    text = (REAL / path).read_text()
    return re.findall(r"^    release: (\S+)$", text, re.M)[index]


def helm_layers(outer: str):
    """Outer (API) base64 text -> (Helm's base64 text, gzip bytes, JSON bytes)."""
    inner = base64.b64decode(outer).decode()
    gzipped = base64.b64decode(inner)
    return inner, gzipped, gzip.decompress(gzipped)


def secret_yaml(name: str, namespace: str, release: str, version: str, status="deployed",
                data_key="release", extra_metadata="") -> str:
    rel = name.split(".")[4] if name.startswith("sh.helm.release.v1.") else name
    value = '""' if release == "" else release
    return (
        "apiVersion: v1\n"
        "data:\n"
        f"  {data_key}: {value}\n"
        "kind: Secret\n"
        "metadata:\n"
        f"{extra_metadata}"
        "  labels:\n"
        f"    name: {rel}\n"
        "    owner: helm\n"
        f"    status: {status}\n"
        f'    version: "{version}"\n'
        f"  name: {name}\n"
        f"  namespace: {namespace}\n"
        "type: helm.sh/release.v1\n"
    )


def list_items(path: str) -> str:
    """The `items:` entries of a kubectl List file, as text."""
    text = (REAL / path).read_text()
    start = text.index("items:\n") + len("items:\n")
    end = text.index("\nkind: List\n")
    return text[start:end + 1]


def write(name: str, content) -> None:
    data = content.encode() if isinstance(content, str) else content
    (HERE / name).write_bytes(data)


S1_V1 = real_release("ssa/S1/step1-install/release-secrets.yaml")
INNER, GZIPPED, JSON_TEXT = helm_layers(S1_V1)

# A real record (ssa S1 rev 1) whose gzip stream is cut in half.
write("truncated-gzip.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", b64(b64(GZIPPED[: len(GZIPPED) // 2]).encode()), "1"))

# The same record with a stray `!` in the API's base64 layer ...
write("bad-base64.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", S1_V1[:100] + "!" + S1_V1[100:], "1"))
# ... and in Helm's own (inner) base64 layer.
write("bad-base64-inner.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", b64((INNER[:100] + "!" + INNER[100:]).encode()), "1"))

# A valid gzip stream whose JSON stops after `{"name": `.
write("gzip-json-garbage.yaml", secret_yaml(
    "sh.helm.release.v1.web.v1", "shop", b64(b64(gz(b'{"name": ')).encode()), "1"))

# The real record with its gzip CRC-32 trailer damaged.
bad_crc = bytearray(GZIPPED)
bad_crc[-8] ^= 0xFF
write("gzip-bad-crc.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", b64(b64(bytes(bad_crc)).encode()), "1"))

# "Billion laughs": 9 levels of 9 aliases, about 10^9 strings once expanded.
lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
names = "abcdefghij"
for prev, cur in zip(names, names[1:]):
    lines.append(f"{cur}: &{cur} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
write("alias-bomb.yaml", "\n".join(lines) + "\n")

# A Helm Secret whose `release` value is empty.
write("empty-record.yaml", secret_yaml("sh.helm.release.v1.web.v1", "shop", "", "1"))

# A Helm Secret without a `release` key.
write("no-release-key.yaml", secret_yaml(
    "sh.helm.release.v1.web.v1", "shop", b64(b"hello"), "1", data_key="notes"))

# One kubectl List with records of three releases: s1 in `demo` (revisions 1 and 2, ssa run),
# s1 in `demo-csa` (revision 1, csa run: same name, other namespace) and s4 in `demo`.
write("mixed-releases.yaml",
      "apiVersion: v1\nitems:\n"
      + list_items("ssa/S1/step2-upgrade/release-secrets.yaml")
      + list_items("csa/S1/step1-install/release-secrets.yaml")
      + list_items("ssa/S4/step1-install/release-secrets.yaml")
      + 'kind: List\nmetadata:\n  resourceVersion: ""\n')

# A Latin-1 byte (0xE9, "é") in an annotation: not UTF-8.
write("not-utf8.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", S1_V1, "1",
    extra_metadata="  annotations:\n    note: caf\u00e9\n").encode("latin-1"))

# A real file saved as UTF-16LE with a byte-order mark (Windows PowerShell 5 `>` redirection).
write("utf16le.yaml", b"\xff\xfe" + (REAL / "ssa/S4/step1-install/release-secrets.yaml")
      .read_text().encode("utf-16-le"))

# A real 3-record List cut inside the quoted creationTimestamp of its second item: invalid YAML.
full = (REAL / "ssa/S1/step3-upgrade/release-secrets.yaml").read_text()
first = full.index("- apiVersion: v1")
second = full.index("- apiVersion: v1", first + 1)
cut = full.index('creationTimestamp: "', second) + len('creationTimestamp: "2026-11')
write("truncated-yaml.yaml", full[:cut])

# The same List cut in the middle of the second record's base64: still valid YAML, but the
# trailing `kind: List` is gone.
release_at = full.index("    release: ", second) + len("    release: ")
write("truncated-list.yaml", full[: release_at + 1000])

# An object of an unknown kind.
write("deployment.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
      "spec:\n  replicas: 1\n")

# Deep nesting: JSON arrays, YAML block sequences.
write("deep-nesting.json", "[" * 10000)
write("deep-nesting.yaml", "- " * 10000 + "x\n")

# A record whose release JSON nests 10000 arrays in `config`.
write("deep-config.yaml", secret_yaml(
    "sh.helm.release.v1.web.v1", "shop",
    b64(b64(gz(b'{"name":"web","namespace":"shop","version":1,"config":' + b"[" * 10000)).encode()),
    "1"))

# The real record (ssa S1 rev 1) with `"version": -1` in its JSON, as a Secret ...
release = json.loads(JSON_TEXT)
release["version"] = -1
minus_one = json.dumps(release, separators=(",", ":")).encode()
write("version-minus-one.yaml", secret_yaml(
    "sh.helm.release.v1.s1.v1", "demo", b64(b64(gz(minus_one)).encode()), "1"))
# ... and as raw release JSON.
write("version-minus-one.json", json.dumps(
    {"name": "web", "namespace": "shop", "info": {"status": "deployed"}, "version": -1}, indent=2) + "\n")
