#!/usr/bin/env python3
"""Build the seed corpora of the fuzz targets from the repository's fixtures.

fuzz/corpus/<target>/ is generated (not committed): run this before `cargo fuzz run`.
"""
import base64, gzip, hashlib, json, pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
inputs = sorted(
    p for d in ("tests/fixtures", "examples", "crates/release/tests/data/bad")
    for p in (root / d).rglob("*")
    if p.is_file() and p.suffix in (".yaml", ".yml", ".json", ".txt")
)


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


for path in inputs:
    raw = path.read_bytes()
    if len(raw) < 256 * 1024:
        put("read_input", raw)
    if "plan" in path.parts or "charts" in path.parts:
        put("candidate", raw)
        put("manifest", raw)
    for m in re.finditer(rb"release: ([A-Za-z0-9+/=]+)", raw):
        outer = m.group(1)
        put("decode_record", outer)
        try:
            inner = base64.b64decode(outer)
            put("decode_record", inner)
            release = json.loads(gzip.decompress(base64.b64decode(inner)))
        except Exception:
            continue
        put("candidate", json.dumps(release))
        manifest = release.get("manifest") or ""
        put("manifest", manifest)
        put("candidate", manifest)
        for doc in re.split(r"(?m)^---[ \t]*\n", manifest):
            put("yaml_fast_path", doc)
        for hook in release.get("hooks") or []:
            put("manifest", hook.get("manifest") or "")
            put("yaml_fast_path", hook.get("manifest") or "")

# Tiller's records (no fixture in the repository holds one): a hapi.release.Release protobuf
# (name 1, info 2 with status 1 code 1, manifest 5, version 7, namespace 8), gzipped and
# base64 as Tiller stores it in a ConfigMap (revision 1 of `old` failed, code 4); revision 1 of
# `web` uncompressed, as Tiller stored records before helm/helm#1420.
def field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return bytes([number << 3 | 2, len(payload)]) + payload


def tiller(name, version, code=1, compress=True):
    message = (field(1, name) + field(2, field(1, bytes([0x08, code])))
               + field(5, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n")
               + bytes([7 << 3, version]) + field(8, "shop"))
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"{name}.v{version}", "namespace": "kube-system",
                     "labels": {"OWNER": "TILLER", "NAME": name, "VERSION": str(version)}},
        "data": {"release": base64.b64encode(
            gzip.compress(message, mtime=0) if compress else message).decode()},
    }


items = [tiller("old", 1, 4), tiller("old", 2), tiller("web", 1, compress=False)]
put("read_input", json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

# The shapes the fast YAML reader reads, and the ones next to them that it must decline.
for doc in (
    "a: 1\nb:\n  - x\n  - 'y'\n  - \"z\"\nc:\n- d: e\n  f: [g, \"h\"]\n",
    "data:\n  k: |\n    one\n\n    two\n  s: |-\n    x\n  n: ~\n  t: yes\n  f: 0.5\n",
    "a: &x 1\nb: *x\n",
    "a: >\n  folded\n  text\n",
    "a: plain\n  continued\n",
    "a: \"multi\n  line\"\n",
    "a: !!str 1\nb: 0x1F\nc: 1_000\nd: +1\ne: 1e3\nf: .inf\ng: 0755\n",
    "a: 1\na: 2\n",
    "- - a\n  - b\n- c: |\n    d\n",
    "{\"a\": [1, 2]}\n",
):
    put("yaml_fast_path", doc)
print({t.name: len(list(t.iterdir())) for t in sorted(corpus.iterdir())})
