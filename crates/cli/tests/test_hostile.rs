//! Hostile and broken input: special files, symlink loops, size caps, records that do not
//! decode, terminal escapes in record text, closed pipes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use helm_why_release::Status;
use helm_why_release::builder::{ReleaseBuilder, list};

use crate::harness::{helm_why, run};

fn records(dir: &Path, description: &str) {
    let revs = [
        ReleaseBuilder::new("w", "ns", 1).status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("w", "ns", 2).status(Status::Deployed, description),
    ];
    let items = revs.iter().map(ReleaseBuilder::secret).collect();
    std::fs::write(
        dir.join("records.json"),
        serde_json::to_vec(&list(items)).unwrap(),
    )
    .unwrap();
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Run in `dir` (so paths in messages are relative) and give up after 20 s: a hang fails.
fn run_in(dir: &Path, args: &[&str]) -> String {
    let mut cmd = helm_why();
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    let start = Instant::now();
    let text = run(&mut cmd);
    assert!(start.elapsed() < Duration::from_secs(20), "{args:?} hung");
    text
}

#[test]
fn special_files_are_refused_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe"));
    records(dir.path(), "Upgrade complete");
    insta::assert_snapshot!(run_in(dir.path(), &["list", "--from", "pipe"]), @"
    ------- stderr -------
    helm-why: pipe is a FIFO (named pipe), not a regular file
    hint: --from takes a regular file, a directory or - for stdin
    [exit status: 1]
    ");
    insta::assert_snapshot!(run_in(dir.path(), &["plan", "w", "--from", "records.json", "--manifest", "pipe"]), @"
    ------- stderr -------
    helm-why: pipe is a FIFO (named pipe), not a regular file
    hint: --manifest takes a regular file, a directory or - for stdin
    [exit status: 1]
    ");
    insta::assert_snapshot!(run_in(dir.path(), &["list", "--from", "/dev/zero"]), @"
    ------- stderr -------
    helm-why: /dev/zero is a device, not a regular file
    hint: --from takes a regular file, a directory or - for stdin
    [exit status: 1]
    ");
}

#[test]
fn a_directory_walk_survives_loops_and_bad_entries() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(dump.join("sub")).unwrap();
    records(&dump.join("sub"), "Upgrade complete");
    std::os::unix::fs::symlink("..", dump.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", dump.join("dangling.yaml")).unwrap();
    mkfifo(&dump.join("fifo.yaml"));
    let out = run_in(dir.path(), &["list", "--from", "dump"]);
    insta::assert_snapshot!(out, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART    APP VERSION
    w     ns         2         2026-01-01 00:00:02 UTC  deployed  w-0.1.0
    ------- stderr -------
    warning: could not read dump/dangling.yaml: file: cannot read: No such file or directory (os error 2)
    warning: could not read dump/fifo.yaml: file: dump/fifo.yaml is a FIFO (named pipe), not a regular file
    [exit status: 0]
    ");
}

#[test]
fn input_size_caps_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    insta::assert_snapshot!(run_in(dir.path(), &["list", "--from", "records.json", "--max-input-bytes", "100"]), @"
    ------- stderr -------
    helm-why: records.json is over the limit of 100 bytes
    hint: --max-input-bytes raises the limit
    [exit status: 1]
    ");
    let bytes = std::fs::read(dir.path().join("records.json")).unwrap();
    let mut child = helm_why()
        .args(["list", "--from", "-", "--max-input-bytes", "100"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child may stop reading early: a failed write is fine.
    let _ = std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("standard input is over the limit of 100 bytes")
            && stderr.contains("--max-input-bytes"),
        "{stderr}"
    );
}

#[test]
fn a_spent_run_budget_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    insta::assert_snapshot!(run_in(dir.path(), &["timeline", "w", "--from", "records.json", "--max-total-bytes", "100"]), @"
    ------- stderr -------
    helm-why: release ns/w: 2 records found, none could be decoded: sh.helm.release.v1.w.v1 (records.json, item 0): size: the run's budget of 100 decoded bytes is spent (--max-total-bytes raises it)
    hint: --max-record-bytes and --max-total-bytes raise the size limits; docs/reliability.md lists every limit
    [exit status: 1]
    ");
}

const NOISE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// 60,000 hexadecimal digits that do not compress much, so that a record holding them decodes
/// to about 80 KB.
fn noise(state: &mut u64) -> String {
    (0..60_000)
        .map(|_| {
            *state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b"0123456789abcdef"[(*state >> 60) as usize])
        })
        .collect()
}

/// Revision `rev` (1 or 2, the last) of release `r<r>` in namespace `ns`: a ConfigMap, and a
/// chart file of 60,000 characters of noise that gzip does not shrink much.
fn noisy_revision(r: usize, rev: u64, state: &mut u64) -> ReleaseBuilder {
    let b = ReleaseBuilder::new(&format!("r{r:02}"), "ns", rev)
        .chart_file("files/blob.txt", &noise(state))
        .manifest_doc(
            "templates/cm.yaml",
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{r:02}"),
        );
    if rev == 1 {
        b.status(Status::Superseded, "Install complete")
    } else {
        b
    }
}

/// Releases `r00` to `r29` of [`noisy_revision`], two revisions each, as Secrets; and the
/// bytes their records decode to.
fn noisy_releases() -> (Vec<serde_json::Value>, usize) {
    let mut state = NOISE_SEED;
    let (mut items, mut decoded) = (Vec::new(), 0);
    for r in 0..30 {
        for rev in 1..=2 {
            let b = noisy_revision(r, rev, &mut state);
            decoded += b.to_json().len();
            items.push(b.secret());
        }
    }
    (items, decoded)
}

/// `scan -o json` of `records.json` in `dir` under a run budget of `budget` bytes, which it
/// must not spend: every one of the `releases` decodes. The report.
fn scanned_within(dir: &Path, budget: &str, releases: usize) -> serde_json::Value {
    scanned_from(dir, &["records.json"], budget, releases)
}

/// [`scanned_within`], from the files or directories `from` in `dir`.
fn scanned_from(dir: &Path, from: &[&str], budget: &str, releases: usize) -> serde_json::Value {
    let mut args = vec!["scan", "--fail-on", "never", "-o", "json"];
    args.extend(from.iter().flat_map(|path| ["--from", path]));
    let out = run_in(dir, &[&args[..], &["--max-total-bytes", budget]].concat());
    assert!(!out.contains("decoded bytes is spent"), "{out}");
    let report: serde_json::Value = serde_json::from_str(out.split("[exit status").next().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    let listed = report["releases"].as_array().unwrap();
    assert_eq!(listed.len(), releases);
    assert!(listed.iter().all(|r| r["status"] == "deployed"), "{report}");
    report
}

/// `scan` and `who` analyse a release at a time and drop its records, so the run's budget
/// (`--max-total-bytes`) bounds what the releases in hand decoded, not the sum over every
/// release: 60 records under a budget of two thirds of what they decode to all decode from a
/// file, which is streamed (`scan`, and `who`, which keeps only the releases that rendered the
/// object), while read whole from standard input they spend it.
#[test]
fn the_run_budget_bounds_what_a_streamed_scan_holds_not_the_sum() {
    let dir = tempfile::tempdir().unwrap();
    let (items, decoded) = noisy_releases();
    let bytes = serde_json::to_vec(&list(items)).unwrap();
    std::fs::write(dir.path().join("records.json"), &bytes).unwrap();
    let budget = (decoded * 2 / 3).to_string();
    let budget_spent = format!("the run's budget of {budget} decoded bytes is spent");

    scanned_within(dir.path(), &budget, 30);
    let who = run_in(
        dir.path(),
        &[
            "who",
            "cm/cfg-29",
            "-n",
            "ns",
            "--from",
            "records.json",
            "--max-total-bytes",
            &budget,
        ],
    );
    assert!(!who.contains(&budget_spent), "{who}");
    assert!(
        who.contains("r29") && who.contains("[exit status: 0]"),
        "{who}"
    );

    let mut child = helm_why()
        .args(["scan", "--fail-on", "never", "-o", "json", "--from", "-"])
        .args(["--max-total-bytes", &budget])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let whole = child.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains(&budget_spent)),
        "{report}"
    );
}

/// Files exported one per record or one per release, in a directory or named one by one,
/// are streamed as one file is: the run's budget bounds the releases in hand, so 30 releases
/// under two thirds of what they decode to all decode. A directory whose files put one
/// release's records apart is read whole, which spends that budget, but answers the same
/// under a budget a tenth over the whole (what the stream decoded before it fell back is
/// given back).
#[test]
fn files_and_directories_are_streamed_release_by_release() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = NOISE_SEED;
    let decoded = std::cell::Cell::new(0);
    let record = |r: usize, rev: u64, state: &mut u64| {
        let b = noisy_revision(r, rev, state);
        decoded.set(decoded.get() + b.to_json().len());
        b.secret()
    };
    // One file per record, named by its storage key, in the directory `by-record`; one file
    // per release in `by-release`; and every record of revision 1, then of revision 2, in
    // `by-revision`, which puts each release's records apart.
    for sub in ["by-record", "by-release", "by-revision"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let mut revisions: [Vec<serde_json::Value>; 2] = Default::default();
    for r in 0..30 {
        let both: Vec<serde_json::Value> = (1..=2).map(|rev| record(r, rev, &mut state)).collect();
        for secret in &both {
            let key = secret["metadata"]["name"].as_str().unwrap();
            let path = dir.path().join(format!("by-record/{key}.json"));
            std::fs::write(path, secret.to_string()).unwrap();
        }
        let path = dir.path().join(format!("by-release/r{r:02}.json"));
        std::fs::write(path, list(both.clone()).to_string()).unwrap();
        for (i, secret) in both.into_iter().enumerate() {
            revisions[i].push(secret);
        }
    }
    for (i, items) in revisions.into_iter().enumerate() {
        let path = dir.path().join(format!("by-revision/{}.json", i + 1));
        std::fs::write(path, list(items).to_string()).unwrap();
    }
    // Each layout holds the same 60 records.
    let decoded = decoded.get();
    let budget = (decoded * 2 / 3).to_string();

    let by_record = scanned_from(dir.path(), &["by-record"], &budget, 30);
    let by_release = scanned_from(dir.path(), &["by-release"], &budget, 30);
    assert_eq!(by_record["releases"], by_release["releases"]);
    let named = [
        "by-release/r00.json",
        "by-release/r01.json",
        "by-release/r02.json",
    ];
    scanned_from(dir.path(), &named, &budget, 3);

    let spent = format!("the run's budget of {budget} decoded bytes is spent");
    let args = [
        "scan",
        "--fail-on",
        "never",
        "-o",
        "json",
        "--from",
        "by-revision",
    ];
    let apart = run_in(
        dir.path(),
        &[&args[..], &["--max-total-bytes", &budget]].concat(),
    );
    assert!(apart.contains(&spent), "{apart}");
    let whole = scanned_from(
        dir.path(),
        &["by-revision"],
        &(decoded * 11 / 10).to_string(),
        30,
    );
    assert_eq!(whole["releases"], by_record["releases"]);
}

/// `timeline` searches the other releases of the namespace before decoding any, and gives
/// back what each record drew once searched: 30 releases whose records inflate to three times
/// the run's budget, none rendering `cfg-web`, are all searched and none decoded. (When the
/// search held what it inflated, the records past the budget counted as mentions and were
/// decoded, and spent the run's budget.)
#[test]
fn the_search_of_other_releases_holds_a_record_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut items, decoded) = noisy_releases();
    for rev in 1..=2 {
        let b = ReleaseBuilder::new("web", "ns", rev).manifest_doc(
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-web",
        );
        let b = if rev == 1 {
            b.status(Status::Superseded, "Install complete")
        } else {
            b
        };
        items.push(b.secret());
    }
    std::fs::write(
        dir.path().join("records.json"),
        serde_json::to_vec(&list(items)).unwrap(),
    )
    .unwrap();
    let budget = (decoded / 3).to_string();
    let args = ["timeline", "web", "-n", "ns", "--from", "records.json"];
    let out = run_in(
        dir.path(),
        &[&args[..], &["--max-total-bytes", &budget]].concat(),
    );
    assert!(out.contains("[exit status: 0]"), "{out}");
    assert!(!out.contains("decoded bytes is spent"), "{out}");
    assert!(out.contains("ConfigMap/cfg-web"), "{out}");
}

/// A release's records include those its history sets aside (here each revision is stored
/// four times, and three identical copies are merged away): `scan` gives back what they drew
/// too, or the copies would spend a budget of 40% of the whole.
#[test]
fn the_run_budget_given_back_includes_the_copies_of_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = NOISE_SEED;
    let (mut items, mut decoded) = (Vec::new(), 0);
    for r in 0..40 {
        let b = ReleaseBuilder::new(&format!("r{r:02}"), "ns", 1)
            .chart_file("files/blob.txt", &noise(&mut state));
        decoded += 4 * b.to_json().len();
        items.extend(std::iter::repeat_n(b.secret(), 4));
    }
    std::fs::write(
        dir.path().join("records.json"),
        serde_json::to_vec(&list(items)).unwrap(),
    )
    .unwrap();
    let report = scanned_within(dir.path(), &(decoded * 2 / 5).to_string(), 40);
    // Identical copies of a revision are merged without a word.
    assert_eq!(report["warnings"], serde_json::json!([]));
}

#[test]
fn an_undecodable_revision_skipped_by_the_base_is_not_called_failed() {
    let dir = tempfile::tempdir().unwrap();
    let revs = [
        ReleaseBuilder::new("w", "ns", 1).status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("w", "ns", 2).status(Status::Failed, "Upgrade \"w\" failed: boom"),
        ReleaseBuilder::new("w", "ns", 3).status(Status::Deployed, "Upgrade complete"),
    ];
    let mut value = list(revs.iter().map(ReleaseBuilder::secret).collect());
    // Revision 2's record is stored but damaged: what it says (failed) cannot be read.
    value["items"][1]["data"]["release"] = serde_json::Value::String("bm90IGd6aXA=".into());
    std::fs::write(dir.path().join("records.json"), value.to_string()).unwrap();
    let out = run_in(dir.path(), &["timeline", "w", "--from", "records.json"]);
    // The table wraps long messages: compare words.
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "revision 3 was diffed against revision 1, skipping revision 2 (stored, but undecodable)"
        ),
        "{out}"
    );
    assert!(!out.contains("failed revision"), "{out}");
}

#[test]
fn undecodable_records_are_not_reported_as_not_found() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    // Damage Helm's base64 layer of every record the way a bad copy-paste does.
    let text = std::fs::read_to_string(dir.path().join("records.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    for item in value["items"].as_array_mut().unwrap() {
        item["data"]["release"] = serde_json::Value::String("bm90IGd6aXA=".into());
    }
    std::fs::write(dir.path().join("records.json"), value.to_string()).unwrap();
    for command in ["explain", "timeline", "images", "get", "plan"] {
        let mut args = vec![command, "w"];
        match command {
            "explain" => args.push("cm/x"),
            "get" => args.push("values"),
            "plan" => args.extend(["--manifest", "records.json"]),
            _ => {}
        }
        args.extend(["--from", "records.json"]);
        let out = run_in(dir.path(), &args);
        assert!(
            out.contains("release ns/w: 2 records found, none could be decoded: sh.helm.release.v1.w.v1 (records.json, item 0): gzip: after 2 base64 layers the data is neither gzip"),
            "{command}: {out}"
        );
    }
    // `history` shows each record with its error instead.
    let out = run_in(dir.path(), &["history", "w", "--from", "records.json"]);
    assert_eq!(out.matches("undecodable").count(), 2, "{out}");
    assert!(out.contains("[exit status: 0]"), "{out}");
}

#[test]
fn control_characters_from_records_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "done\u{1b}[2J\rforged\u{9b}31m");
    for format in ["table", "wide", "markdown", "json", "yaml"] {
        let out = helm_why()
            .current_dir(dir.path())
            .args(["history", "w", "--from", "records.json", "-o", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\r') && !stdout.contains('\u{9b}'),
            "{format}: {stdout:?}"
        );
        let expected = match format {
            "json" => r"done\u001b[2J\rforged\u009b31m",
            // YAML's own escapes, in a double-quoted scalar.
            "yaml" => r#""done\e[2J\rforged\x9B31m""#,
            _ => r"done\x1b[2J\rforged\u{9b}31m",
        };
        assert!(stdout.contains(expected), "{format}: {stdout}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    for args in [
        &["completions", "zsh"][..],
        &["man"],
        &["get", "w", "release", "--from", "records.json"],
    ] {
        let mut child = helm_why()
            .current_dir(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the child writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn plan_refuses_when_the_newest_record_is_undecodable() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    let text = std::fs::read_to_string(dir.path().join("records.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["items"][1]["data"]["release"] = serde_json::Value::String("bm90IGd6aXA=".into());
    std::fs::write(dir.path().join("records.json"), value.to_string()).unwrap();
    std::fs::write(
        dir.path().join("cm.json"),
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}"#,
    )
    .unwrap();
    insta::assert_snapshot!(run_in(dir.path(), &["plan", "w", "--from", "records.json", "--manifest", "cm.json"]), @"
    ------- stderr -------
    helm-why: release ns/w: revision 2, the newest and so possibly the base of the next upgrade, could not be decoded: sh.helm.release.v1.w.v2 (records.json, item 1): gzip: after 2 base64 layers the data is neither gzip (1f 8b 08) nor JSON
    hint: planning against an older revision would be wrong; `helm-why history` shows every revision
    [exit status: 1]
    ");
}

#[test]
fn plan_reads_objects_given_as_json_as_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    records(dir.path(), "Upgrade complete");
    std::fs::write(
        dir.path().join("list.json"),
        r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]}"#,
    )
    .unwrap();
    insta::assert_snapshot!(run_in(dir.path(), &["plan", "w", "--from", "records.json", "--manifest", "list.json"]), @"
    Plan for w (namespace ns): revision 3, base revision 2, Helm 3.21.4 rules
    Candidate: list.json (helm template output)

    Verdict: no hazards found

    OP      PHASE  KIND       NAMESPACE  NAME  WHY
    create  apply  ConfigMap  ns         x     added: created: new in this revision

    1 create
    note: offline: the cluster is assumed to hold what the replayed history left; objects created
      outside Helm are unknown and assumed absent, and the keep policy is read from the manifests
    [exit status: 0]
    ");
}

#[test]
fn a_document_that_cannot_be_parsed_is_said_by_every_question_about_objects() {
    // Revision 1 holds ConfigMap web-cm in a document with an unclosed quote: an answer
    // without it said "created by the install" of revision 2, as if it had never been there.
    let broken =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-cm\ndata:\n  k: \"unclosed\n";
    let ok = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-cm\n";
    let records = crate::harness::SecretsFile::new(&[
        ReleaseBuilder::new("web", "shop", 1)
            .manifest_doc("c/templates/t.yaml", broken)
            .status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("web", "shop", 2)
            .manifest_doc("c/templates/t.yaml", ok)
            .status(Status::Deployed, "Upgrade complete"),
    ]);
    let candidate = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        candidate.path(),
        format!("---\n# Source: c/templates/t.yaml\n{ok}"),
    )
    .unwrap();
    let said = "release shop/web, revision 1: document 0 (c/templates/t.yaml) could not be parsed";
    let from = records.path();
    for args in [
        vec!["explain", "web", "cm/web-cm"],
        vec!["who", "cm/web-cm"],
    ] {
        let mut all = args.clone();
        all.extend(["--from", from]);
        let (code, _, stderr) = crate::harness::output(&all);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    let plan = candidate.path().to_str().unwrap();
    for args in [
        vec!["timeline", "web"],
        vec!["scan"],
        vec!["plan", "web", "--manifest", plan],
    ] {
        let mut all = args.clone();
        all.extend(["--from", from, "-o", "json", "--fail-on", "never"]);
        if args[0] == "timeline" {
            all.truncate(all.len() - 2);
        }
        let (_, stdout, stderr) = crate::harness::output(&all);
        let hazard = format!("\"code\": \"{}\"", "unreadable-document");
        assert!(stdout.contains(&hazard), "{args:?}: {stdout}\n{stderr}");
    }
}

#[test]
fn a_record_stored_under_one_release_holding_another_is_said_in_the_first() {
    // Stored (object name and labels) as web's revision 1, its payload is webx's: Helm's
    // storage finds it by label as web's; `history web` called revision 1 pruned, silently.
    let mut moved = ReleaseBuilder::new("webx", "shop", 1).secret();
    moved["metadata"]["name"] = "sh.helm.release.v1.web.v1".into();
    moved["metadata"]["labels"]["name"] = "web".into();
    let own = ReleaseBuilder::new("web", "shop", 2).secret();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.json");
    std::fs::write(&path, serde_json::to_vec(&list(vec![moved, own])).unwrap()).unwrap();
    let (code, _, stderr) =
        crate::harness::output(&["history", "web", "--from", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("sh.helm.release.v1.web.v1 is stored under this release's name, but its payload is revision 1 of release \"webx\""),
        "{stderr}"
    );
}

#[test]
fn an_export_cut_short_in_a_directory_is_reported_not_ignored() {
    // Taken for a chart template ("not YAML or JSON"), it lost its records unnamed.
    let items = (1..=5)
        .map(|v| {
            ReleaseBuilder::new("web", "shop", v)
                .status(Status::Superseded, "Upgrade complete")
                .secret()
        })
        .collect();
    let whole = serde_json::to_vec_pretty(&list(items)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in [whole.len() / 10, whole.len() / 2] {
        std::fs::write(dir.path().join("export.json"), &whole[..cut]).unwrap();
        let (_, _, stderr) =
            crate::harness::output(&["history", "web", "--from", dir.path().to_str().unwrap()]);
        assert!(
            stderr.contains("export.json: JSON: input is not valid JSON: EOF while parsing"),
            "cut at {cut}: {stderr}"
        );
        assert!(!stderr.contains("chart template"), "{stderr}");
    }
}

#[test]
fn standard_input_named_twice_is_refused() {
    // Read twice, the second reading found it empty and said "input is empty".
    for (args, said) in [
        (
            vec!["list", "--from", "-", "--from", "-"],
            "--from - is given 2 times: standard input can be read once",
        ),
        (
            vec!["plan", "web", "--from", "-", "--manifest", "-"],
            "--from - and --manifest - both read standard input",
        ),
    ] {
        let (code, _, stderr) = crate::harness::output(&args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}
