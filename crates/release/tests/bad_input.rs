//! Bad input: every case must end in a typed error naming the record and the layer, or in a
//! counted ignore — never a panic, never unbounded memory.
//!
//! The files are in `tests/data/bad/` (see its README; `generate.py` rebuilds them from the
//! real records). The gzip bomb is built at run time (`common::space_bomb`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::history::{self, Finding};
use helm_why_release::input::{InputOutcome, read_input};
use helm_why_release::{DecodeError, Layer, Limits, codec, record};
use serde_json::json;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad")
}

fn read_bad(name: &str) -> InputOutcome {
    read_bad_with(name, &Limits::default())
}

fn read_bad_with(name: &str, limits: &Limits) -> InputOutcome {
    let bytes = std::fs::read(bad_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    read_input(&bytes, &format!("bad/{name}"), limits)
}

/// The only outcome of `out` is one error; return it.
fn single_error(out: &InputOutcome) -> &DecodeError {
    assert!(out.records.is_empty(), "{:?}", out.records);
    assert!(out.ignored.is_empty(), "{:?}", out.ignored);
    assert_eq!(out.errors.len(), 1, "{:#?}", out.errors);
    &out.errors[0]
}

/// `error` is at `layer`, its detail contains `detail`, and its message names every `part`.
fn assert_error(error: &DecodeError, layer: Layer, detail: &str, parts: &[&str]) {
    assert_eq!(error.layer, layer, "{error}");
    assert!(error.detail.contains(detail), "{error}\nwanted: {detail}");
    let text = error.to_string();
    assert!(
        text.contains(&format!(": {layer}: ")),
        "the message names the layer: {text}"
    );
    for part in parts {
        assert!(text.contains(part), "{text}\nwanted: {part}");
    }
}

/// One Helm Secret of release `s1` revision 1 in `bad/<file>`, failing at `layer`.
fn assert_s1_v1_fails(file: &str, layer: Layer, detail: &str) {
    let out = read_bad(file);
    let error = single_error(&out).clone();
    assert_error(
        &error,
        layer,
        detail,
        &["sh.helm.release.v1.s1.v1", &format!("bad/{file}")],
    );
    assert_eq!(
        error.record.object.as_deref(),
        Some("sh.helm.release.v1.s1.v1")
    );
    // The failure stays visible in the release's history, under the revision its name claims.
    let histories = history::group(out.records, out.errors);
    assert!(histories.unattributed.is_empty());
    assert_eq!(histories.releases.len(), 1);
    let h = &histories.releases[0];
    assert_eq!(h.id.name, "s1");
    assert!(h.revisions.is_empty());
    assert_eq!(h.last_revision(), Some(1));
    assert_eq!(
        h.findings,
        vec![Finding::Undecodable {
            revision: Some(1),
            error: error.to_string()
        }]
    );
}

#[test]
fn truncated_gzip_is_a_gzip_error() {
    assert_s1_v1_fails(
        "truncated-gzip.yaml",
        Layer::Gzip,
        "truncated gzip stream (unexpected end of data)",
    );
}

#[test]
fn damaged_gzip_checksum_is_a_gzip_error() {
    assert_s1_v1_fails("gzip-bad-crc.yaml", Layer::Gzip, "checksum");
}

#[test]
fn stray_character_in_the_api_base64_layer() {
    assert_s1_v1_fails(
        "bad-base64.yaml",
        Layer::Base64,
        "invalid base64: the byte at offset 100 is not in the alphabet",
    );
    let out = read_bad("bad-base64.yaml");
    assert!(!single_error(&out).detail.contains("inner"));
}

#[test]
fn stray_character_in_helms_base64_layer() {
    assert_s1_v1_fails(
        "bad-base64-inner.yaml",
        Layer::Base64,
        "the byte at offset 100 is not in the alphabet (inner layer)",
    );
}

#[test]
fn json_cut_short_inside_valid_gzip() {
    let out = read_bad("gzip-json-garbage.yaml");
    assert_error(
        single_error(&out),
        Layer::Json,
        "ends early (line 1 column 9)",
        &["sh.helm.release.v1.web.v1", "bad/gzip-json-garbage.yaml"],
    );
}

#[test]
fn version_minus_one_in_a_stored_record() {
    assert_s1_v1_fails(
        "version-minus-one.yaml",
        Layer::Json,
        "\"version\" is -1, not a revision number",
    );
}

#[test]
fn version_minus_one_in_raw_release_json() {
    let out = read_bad("version-minus-one.json");
    assert_error(
        single_error(&out),
        Layer::Json,
        "\"version\" is -1, not a revision number",
        &["bad/version-minus-one.json"],
    );
}

#[test]
fn version_minus_one_in_a_builder_payload() {
    // The same through the builder's exact Helm JSON, as a bare payload and a ConfigMap.
    let json = String::from_utf8(ReleaseBuilder::new("web", "shop", 7).to_json()).unwrap();
    assert!(json.contains(r#""version":7"#));
    let bad = json.replace(r#""version":7"#, r#""version":-1"#);
    let payload = codec::encode_payload(bad.as_bytes());
    let meta = record::RecordMeta::raw(helm_why_release::RecordRef::file("body.txt"));
    let error = record::decode_record(payload.as_bytes(), meta, &Limits::default()).unwrap_err();
    assert_error(&error, Layer::Json, "not a revision number", &["body.txt"]);
    let cm = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "sh.helm.release.v1.web.v7", "namespace": "shop", "labels": {"owner": "helm"}},
        "data": {"release": payload},
    });
    let out = read_input(
        &serde_json::to_vec(&cm).unwrap(),
        "cm.json",
        &Limits::default(),
    );
    assert_error(
        single_error(&out),
        Layer::Json,
        "\"version\" is -1",
        &["sh.helm.release.v1.web.v7 (cm.json)"],
    );
}

#[test]
fn deeply_nested_release_json_is_a_json_error() {
    let out = read_bad("deep-config.yaml");
    assert_error(
        single_error(&out),
        Layer::Json,
        "recursion limit exceeded",
        &["sh.helm.release.v1.web.v1", "bad/deep-config.yaml"],
    );
}

#[test]
fn deeply_nested_json_input_is_an_error_not_a_stack_overflow() {
    let out = read_bad("deep-nesting.json");
    assert_error(
        single_error(&out),
        Layer::Json,
        "input is not valid JSON: recursion limit exceeded",
        &["bad/deep-nesting.json"],
    );
    // Objects too, and far deeper.
    let text = "{\"a\":".repeat(100_000);
    let out = read_input(text.as_bytes(), "deep.json", &Limits::default());
    assert_error(
        single_error(&out),
        Layer::Json,
        "recursion limit exceeded",
        &["deep.json"],
    );
}

/// Run `f` on a thread with a generous stack (see the ignored test below for why).
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("the thread returned")
}

#[test]
fn deeply_nested_yaml_input_hits_the_depth_budget() {
    let out = on_big_stack(|| read_bad("deep-nesting.yaml"));
    assert_error(
        single_error(&out),
        Layer::Yaml,
        "budget breached: Depth",
        &["bad/deep-nesting.yaml"],
    );
    // Flow style stops at the same depth.
    let text = format!("a: {}", "[".repeat(10_000));
    let out = on_big_stack(move || read_input(text.as_bytes(), "flow.yaml", &Limits::default()));
    assert_error(
        single_error(&out),
        Layer::Yaml,
        "recursion limit exceeded",
        &["flow.yaml"],
    );
}

/// Run test `name` again in a child process (with `env` set so it does the risky part), under
/// an address-space cap of `max_kib` and a time limit; whether the child succeeded.
///
/// For failures that take the whole process down (stack overflow, out of memory, a hang).
fn child_succeeds(name: &str, env: &str, max_kib: u64, timeout: Duration) -> Result<(), String> {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {max_kib} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args([
            "--exact",
            name,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    // Drain stderr while the child runs, so a long backtrace cannot block it.
    let mut pipe = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            let stderr = reader.join().unwrap_or_default();
            return if status.success() {
                Ok(())
            } else {
                Err(format!("child {status}: {stderr}"))
            };
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("child still running after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const DEEP_YAML_CHILD: &str = "HELM_WHY_TEST_DEEP_YAML_CHILD";

#[test]

fn deeply_nested_yaml_input_fits_a_default_thread_stack() {
    if std::env::var_os(DEEP_YAML_CHILD).is_some() {
        // 2 MiB: Rust's default for spawned threads, test threads and tokio workers.
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| read_bad("deep-nesting.yaml"))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(single_error(&out).layer, Layer::Yaml);
        return;
    }
    let outcome = child_succeeds(
        "deeply_nested_yaml_input_fits_a_default_thread_stack",
        DEEP_YAML_CHILD,
        4 << 20,
        Duration::from_secs(60),
    );
    assert_eq!(outcome, Ok(()), "a stack overflow aborts the process");
}

const HUGE_REVISION_CHILD: &str = "HELM_WHY_TEST_HUGE_REVISION_CHILD";

#[test]

fn huge_revision_number_is_grouped_in_bounded_time_and_memory() {
    if std::env::var_os(HUGE_REVISION_CHILD).is_some() {
        // Revision 1 decodes; a corrupt record claims the last revision number there is.
        let good = ReleaseBuilder::new("web", "shop", 1).secret();
        let good = good["data"]["release"].as_str().unwrap().to_owned();
        let text = secret_yaml("sh.helm.release.v1.web.v1", "shop", &good)
            + &secret_yaml(
                &format!("sh.helm.release.v1.web.v{}", u64::MAX),
                "shop",
                "bm90IGd6aXA=",
            );
        let out = read_input(text.as_bytes(), "huge.yaml", &Limits::default());
        let histories = history::group(out.records, out.errors);
        assert_eq!(histories.releases[0].last_revision(), Some(u64::MAX));
        return;
    }
    let outcome = child_succeeds(
        "huge_revision_number_is_grouped_in_bounded_time_and_memory",
        HUGE_REVISION_CHILD,
        1 << 20,
        Duration::from_secs(30),
    );
    assert_eq!(outcome, Ok(()));
}

#[test]
fn large_revision_gap_is_reported_as_one_range() {
    // A legitimate gap (history pruned after many upgrades) is summarised, not listed.
    let items = vec![
        ReleaseBuilder::new("web", "shop", 1).secret(),
        ReleaseBuilder::new("web", "shop", 10_000).secret(),
    ];
    let out = read_input(
        &serde_json::to_vec(&list(items)).unwrap(),
        "gap.json",
        &Limits::default(),
    );
    let histories = history::group(out.records, out.errors);
    let h = &histories.releases[0];
    assert_eq!(helm_why_release::history::count(&h.missing), 9_998);
    assert_eq!(h.missing.len(), 1, "one range");
    assert!(
        h.findings
            .iter()
            .any(|f| f.to_string().starts_with("revisions 2-9999 missing")),
        "{:?}",
        h.findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}

#[test]
fn gzip_bomb_stops_at_the_size_limit() {
    // ~200 MiB of spaces in ~200 KB of gzip.
    let bomb = common::space_bomb(common::runs_for_mib(200));
    assert!(bomb.len() < 250 * 1024, "{} bytes", bomb.len());
    let secret = common::secret_with_gzip("bomb", "shop", 1, &bomb);
    let bytes = serde_json::to_vec(&secret).unwrap();
    let limit = 4 * 1024 * 1024;
    let out = read_input(&bytes, "bomb.json", &Limits::with_max_record_bytes(limit));
    assert_error(
        single_error(&out),
        Layer::Size,
        "decompressed release is over the limit of 4194304 bytes (--max-record-bytes)",
        &["sh.helm.release.v1.bomb.v1 (bomb.json)"],
    );
}

#[test]
fn space_bomb_is_a_valid_gzip_stream() {
    // The hand-built stream decodes to exactly what it claims, CRC included.
    for runs in [0, 1, 2, 1000] {
        let peeled = codec::peel(
            codec::encode_base64(&common::space_bomb(runs)).as_bytes(),
            &Limits::default(),
        );
        // Spaces are not a JSON object, but peel only unwraps the layers.
        let peeled = peeled.unwrap();
        assert!(peeled.gzipped);
        assert_eq!(peeled.json.len(), 1 + 258 * runs);
        assert!(peeled.json.iter().all(|b| *b == b' '));
    }
}

#[test]
fn oversized_encoded_payload_is_refused_before_decoding() {
    let out = read_bad_with("truncated-gzip.yaml", &Limits::with_max_record_bytes(500));
    assert_error(
        single_error(&out),
        Layer::Size,
        "over the limit of 500 bytes",
        &["sh.helm.release.v1.s1.v1", "bad/truncated-gzip.yaml"],
    );
}

#[test]
fn yaml_alias_bomb_is_refused() {
    let out = read_bad("alias-bomb.yaml");
    let error = single_error(&out);
    assert_error(
        error,
        Layer::Yaml,
        "input is not valid YAML: budget breached",
        &["bad/alias-bomb.yaml"],
    );
    assert_eq!(error.record.object, None, "the whole file failed");
    let histories = history::group(out.records.clone(), out.errors.clone());
    assert_eq!(histories.unattributed.len(), 1);
    assert!(histories.releases.is_empty());
}

/// Found by the `read_input` fuzz target: one alias of the bomb replaced by a plain
/// scalar took 0.37 s (8 s under the fuzzer's sanitizers) before the alias limits were
/// lowered; now it is refused at the lowered limit. (Time is not asserted: tests run on a
/// shared machine; the limit below is what bounds the work.)
#[test]
fn fuzzed_alias_bomb_is_refused_quickly() {
    let out = read_bad("alias-bomb-fuzzed.yaml");
    assert_error(
        single_error(&out),
        Layer::Yaml,
        "budget breached",
        &["bad/alias-bomb-fuzzed.yaml"],
    );
    // The breach happens at the lowered limit (250,000 retained events, not 1,000,000).
    assert!(out.errors[0].detail.contains("250001"), "{}", out.errors[0]);
}

#[test]
fn empty_release_value_is_an_error() {
    let out = read_bad("empty-record.yaml");
    assert_error(
        single_error(&out),
        Layer::Base64,
        "the payload is empty",
        &["sh.helm.release.v1.web.v1", "bad/empty-record.yaml"],
    );
}

#[test]
fn secret_without_release_key_is_an_object_error() {
    let out = read_bad("no-release-key.yaml");
    assert_error(
        single_error(&out),
        Layer::Object,
        "the Secret has no `release` key in its data",
        &["sh.helm.release.v1.web.v1", "bad/no-release-key.yaml"],
    );
}

#[test]
fn sql_row_with_a_non_string_body_is_an_object_error() {
    let row = json!({"key": "sh.helm.release.v1.web.v1", "body": 42, "name": "web"});
    let out = read_input(
        &serde_json::to_vec(&row).unwrap(),
        "rows.json",
        &Limits::default(),
    );
    assert_error(
        single_error(&out),
        Layer::Object,
        "the SQL row's `body` is not a string",
        &["sh.helm.release.v1.web.v1 (rows.json)"],
    );
}

#[test]
fn list_of_several_releases_gives_one_history_each() {
    let out = read_bad("mixed-releases.yaml");
    assert!(out.errors.is_empty() && out.ignored.is_empty());
    assert_eq!(out.records.len(), 4);
    let histories = history::group(out.records, out.errors);
    let summary: Vec<(String, Vec<u64>)> = histories
        .releases
        .iter()
        .map(|h| {
            assert_eq!(h.findings, vec![], "{}", h.id);
            let revs = h.revisions.iter().map(|r| r.release.version).collect();
            (h.id.to_string(), revs)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("demo/s1".to_owned(), vec![1, 2]),
            ("demo/s4".to_owned(), vec![1]),
            ("demo-csa/s1".to_owned(), vec![1]),
        ]
    );
    // The List items keep their position in the references.
    let s4 = &histories.releases[1].revisions[0];
    assert_eq!(s4.meta.reference.item, Some(3));
}

#[test]
fn error_in_a_list_names_the_item() {
    let good = ReleaseBuilder::new("web", "shop", 1).secret();
    let mut bad = ReleaseBuilder::new("web", "shop", 2).secret();
    bad["data"]["release"] = json!("bm90!YmFzZTY0");
    let other = ReleaseBuilder::new("db", "shop", 1).secret();
    let bytes = serde_json::to_vec(&list(vec![good, bad, other])).unwrap();
    let out = read_input(&bytes, "dump.json", &Limits::default());
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.errors.len(), 1);
    assert_error(
        &out.errors[0],
        Layer::Base64,
        "the byte at offset 4",
        &["sh.helm.release.v1.web.v2 (dump.json, item 1)"],
    );
    let histories = history::group(out.records, out.errors);
    let ids: Vec<String> = histories
        .releases
        .iter()
        .map(|h| h.id.to_string())
        .collect();
    assert_eq!(ids, vec!["shop/db", "shop/web"]);
    let web = &histories.releases[1];
    assert_eq!(web.revisions.len(), 1);
    assert_eq!(web.last_revision(), Some(2));
    assert!(matches!(
        web.findings[..],
        [Finding::Undecodable {
            revision: Some(2),
            ..
        }]
    ));
    assert_eq!(histories.releases[0].findings, vec![]);
}

#[test]
fn non_utf8_input_is_refused_whole() {
    for file in ["not-utf8.yaml", "utf16le.yaml"] {
        let out = read_bad(file);
        let error = single_error(&out);
        assert_error(
            error,
            Layer::Yaml,
            "input is not UTF-8 text",
            &[&format!("bad/{file}")],
        );
        assert_eq!(error.record.object, None);
    }
}

#[test]
fn truncated_yaml_is_a_yaml_error() {
    let out = read_bad("truncated-yaml.yaml");
    assert_error(
        single_error(&out),
        Layer::Yaml,
        "input is not valid YAML: unclosed quote at line",
        &["bad/truncated-yaml.yaml"],
    );
}

#[test]

fn truncated_list_keeps_its_complete_records() {
    // kubectl prints `items` before `kind: List` and `data` before an item's `kind`: a file cut
    // in the second item's base64 has neither. The complete first record must still decode, and
    // the cut one must be an error that says the file looks truncated.
    let out = read_bad("truncated-list.yaml");
    assert_eq!(
        out.records.len(),
        1,
        "item 0 is complete: {:?}",
        out.ignored
    );
    assert_eq!(out.errors.len(), 1, "item 1 is cut");
    let text = out.errors[0].to_string();
    assert!(text.contains("item 1"), "{text}");
    assert!(text.contains("looks truncated"), "{text}");
}

#[test]
fn truncated_list_is_at_least_counted() {
    // No panic, and every item ends as a record, an error or a counted ignore.
    let out = read_bad("truncated-list.yaml");
    assert_eq!(out.records.len() + out.errors.len() + out.ignored.len(), 2);
}

#[test]
fn object_of_unknown_kind_is_ignored_and_counted() {
    let out = read_bad("deployment.yaml");
    assert!(out.records.is_empty() && out.errors.is_empty());
    assert_eq!(out.ignored.len(), 1);
    assert_eq!(out.ignored[0].what, "Deployment web");
    assert_eq!(out.ignored[0].reference.origin, "bad/deployment.yaml");
    // And inside a List, next to a record.
    let mut deployment =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
    deployment["spec"] = json!({"replicas": 1});
    let other_secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"}, "data": {"t": "eA=="}});
    let items = vec![
        deployment,
        ReleaseBuilder::new("web", "shop", 1).secret(),
        other_secret,
    ];
    let out = read_input(
        &serde_json::to_vec(&list(items)).unwrap(),
        "all.json",
        &Limits::default(),
    );
    assert_eq!(out.records.len(), 1);
    assert!(out.errors.is_empty());
    let ignored: Vec<(Option<usize>, &str)> = out
        .ignored
        .iter()
        .map(|i| (i.reference.item, i.what.as_str()))
        .collect();
    assert_eq!(
        ignored,
        vec![(Some(0), "Deployment web"), (Some(2), "Secret token")]
    );
}

fn secret_yaml(name: &str, namespace: &str, release: &str) -> String {
    format!(
        "- apiVersion: v1\n  kind: Secret\n  type: helm.sh/release.v1\n  metadata:\n    name: {name}\n    namespace: {namespace}\n    labels: {{owner: helm}}\n  data:\n    release: {release}\n"
    )
}

#[test]
fn undecodable_record_keeps_its_storage_namespace() {
    let out = read_bad("truncated-gzip.yaml"); // Secret sh.helm.release.v1.s1.v1 in `demo`
    let histories = history::group(out.records, out.errors);
    assert_eq!(histories.releases[0].id.to_string(), "demo/s1");
}

#[test]

fn undecodable_record_stays_in_its_namespace() {
    // web rev 1 decodes in `shop`; web rev 2 in `staging` is corrupt. Helm would show them as
    // two releases; the corrupt record must not appear as revision 2 of shop/web.
    let good = ReleaseBuilder::new("web", "shop", 1).secret();
    let good = good["data"]["release"].as_str().unwrap().to_owned();
    let text = secret_yaml("sh.helm.release.v1.web.v1", "shop", &good)
        + &secret_yaml("sh.helm.release.v1.web.v2", "staging", "bm90IGd6aXA=");
    let out = read_input(text.as_bytes(), "two-ns.yaml", &Limits::default());
    assert_eq!((out.records.len(), out.errors.len()), (1, 1));
    let histories = history::group(out.records, out.errors);
    let shop = histories
        .releases
        .iter()
        .find(|h| h.id.to_string() == "shop/web")
        .unwrap();
    assert_eq!(shop.findings, vec![], "shop/web is complete");
    assert_eq!(shop.last_revision(), Some(1));
    assert!(
        histories
            .releases
            .iter()
            .any(|h| h.id.to_string() == "staging/web" && h.undecodable.len() == 1)
    );
}

#[test]
fn every_corpus_file_ends_in_an_error_or_a_counted_ignore() {
    let mut names: Vec<String> = std::fs::read_dir(bad_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 19, "{names:?}");
    for name in names {
        let file = name.clone();
        let out = on_big_stack(move || {
            std::panic::catch_unwind(|| read_bad(&file)).unwrap_or_else(|_| panic!("{file}"))
        });
        let outcomes = out.records.len() + out.errors.len() + out.ignored.len();
        assert!(outcomes > 0, "{name}: nothing came out");
        if name != "mixed-releases.yaml" {
            assert!(
                !out.errors.is_empty() || !out.ignored.is_empty(),
                "{name}: bad input decoded cleanly"
            );
        }
        for error in &out.errors {
            assert!(
                error.to_string().contains(&format!("bad/{name}")),
                "{error}"
            );
        }
        // Grouping never loses an error.
        let errors = out.errors.len();
        let histories = history::group(out.records, out.errors);
        let grouped: usize = histories.releases.iter().map(|h| h.undecodable.len()).sum();
        assert_eq!(grouped + histories.unattributed.len(), errors, "{name}");
    }
}
