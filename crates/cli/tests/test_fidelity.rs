//! Failed, interrupted and emptied histories through the binary: what `history`, `list`,
//! `explain`, `timeline` and `plan` print about them (issue 8), on records made by the record
//! builder.

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;

use crate::harness::{SecretsFile, helm_why, run, run_args};

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

fn rev(n: u64) -> ReleaseBuilder {
    ReleaseBuilder::new("web", "shop", n).chart("web", &format!("0.{n}.0"))
}

/// Revisions 1–2 pruned; 3 and 4 deployed in turn; 5 renders nothing (a post-renderer that
/// printed nothing, helm-semantics.md §12).
fn pruned_then_emptied() -> SecretsFile {
    SecretsFile::new(&[
        rev(3)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(Status::Superseded, "Upgrade complete"),
        rev(4)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .manifest_doc("web/templates/b.yaml", &cm("b"))
            .status(Status::Superseded, "Upgrade complete"),
        rev(5).status(Status::Deployed, "Upgrade complete"),
    ])
}

#[test]
fn history_marks_the_first_stored_revision_and_the_empty_one() {
    let records = pruned_then_emptied();
    insta::assert_snapshot!(run_args(&["history", "web", "--from", records.path()]), @"
    REVISION  UPDATED                  STATUS      CHART      APP VERSION  OBJECTS  CHANGE
    1-2       -                        missing     -          -            -        -
    3         2026-01-01 00:00:03 UTC  superseded  web-0.3.0  -            1        +1 (first stored)
    4         2026-01-01 00:00:04 UTC  superseded  web-0.4.0  -            2        +1
    5         2026-01-01 00:00:05 UTC  deployed    web-0.5.0  -            0        -2

    DESCRIPTION:
      1-2: no record: pruned by --history-max or deleted
      3: Upgrade complete
      4: Upgrade complete
      5: Upgrade complete
    (-o wide adds HOOKS)

    Hazards: 1 high
      high [empty-manifest] release web, revision 5: its manifest holds no tracked object: every one of
        the 2 objects of revision 4 was deleted
    ------- stderr -------
    warning: revisions 1-2 missing from the history (pruned by --history-max or deleted): nothing can be explained inside the gap
    [exit status: 0]
    ");
}

#[test]
fn list_does_not_warn_about_ordinary_pruning() {
    let records = pruned_then_emptied();
    insta::assert_snapshot!(run_args(&["list", "-A", "--from", records.path()]), @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
    web   shop       5         2026-01-01 00:00:05 UTC  deployed  web-0.5.0
    [exit status: 0]
    ");
}

#[test]
fn plan_of_an_empty_candidate_deletes_everything() {
    let records = SecretsFile::new(&[rev(1)
        .manifest_doc("web/templates/a.yaml", &cm("a"))
        .manifest_doc("web/templates/b.yaml", &cm("b"))
        .status(Status::Deployed, "Install complete")]);
    let empty = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(empty.path(), "---\n# nothing\n").unwrap();
    insta::assert_snapshot!(run_args(&[
        "plan",
        "web",
        "--from",
        records.path(),
        "--manifest",
        empty.path().to_str().unwrap()
    ]).replace(empty.path().to_str().unwrap(), "EMPTY"), @"
    Plan for web (namespace shop): revision 2, base revision 1, Helm 3.21.4 rules
    Candidate: EMPTY (helm template output)

    Verdict: 1 high hazard (listed below)

    OP      PHASE   KIND       NAMESPACE  NAME
    delete  delete  ConfigMap  shop       a
    delete  delete  ConfigMap  shop       b

    WHY:
      delete ConfigMap a: removed: deleted: revision 2 no longer renders it (the candidate carries no
        chart or values to tell why) (Helm 3 logs and ignores delete errors: check the cluster)
      delete ConfigMap b: removed: deleted: revision 2 no longer renders it (the candidate carries no
        chart or values to tell why) (Helm 3 logs and ignores delete errors: check the cluster)

    2 delete

    Hazards: 1 high
      high [empty-manifest] release web, revision 2: the candidate renders no tracked object: every one
        of the 2 objects of revision 1 will be deleted
    note: offline: the cluster is assumed to hold what the replayed history left; objects created
      outside Helm are unknown and assumed absent, and the keep policy is read from the manifests
    [exit status: 2]
    ");
}

#[test]
fn explain_heads_the_uninstall_and_names_other_versions() {
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    helm.sh/resource-policy: keep\n";
    let records = SecretsFile::new(&[
        rev(1)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .manifest_doc("web/templates/kept.yaml", kept)
            .status(Status::Superseded, "Install complete"),
        rev(2)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(Status::Uninstalled, "Uninstallation complete")
            .deleted("2026-01-01T01:00:00Z"),
    ]);
    insta::assert_snapshot!(run_args(&["explain", "web", "cm/a", "--from", records.path()]), @"
    ConfigMap shop/a in release web (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 00:00:01 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-01-01 00:00:02 UTC
      apply: unchanged — unchanged
    revision 2 · uninstall · 2026-01-01 00:00:02 UTC
      uninstall: delete (uninstall) — deleted by helm uninstall

    Now: expected absent — last delete by revision 2 (uninstall).
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_args(&["explain", "web", "cm/kept", "--from", records.path()]), @"
    ConfigMap shop/kept in release web (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 00:00:01 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-01-01 00:00:02 UTC
      delete: keep (keep-policy) — left the manifest (its template templates/kept.yaml is not in chart
        web-0.2.0 any more), but not deleted: it carries helm.sh/resource-policy: keep (read from the
        manifest here; Helm reads the live object), so it stays, tracked by no revision

    Now: expected present, but no revision tracks it: revision 2 is uninstalled, so no upgrade diffs
    against a manifest that has it.

    Other Helm versions would have done otherwise:
      Helm 3.0.x, 3.1.x: revision 2: delete (delete) instead of keep (delete); expected absent now
    [exit status: 0]
    ");
}

#[test]
fn explain_says_which_revision_tracks_after_a_failed_upgrade() {
    let records = SecretsFile::new(&[
        rev(1)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(Status::Deployed, "Install complete"),
        rev(2)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .manifest_doc("web/templates/b.yaml", &cm("b"))
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: timed out waiting for the condition",
            ),
    ]);
    insta::assert_snapshot!(run_args(&["explain", "web", "cm/a", "--from", records.path()]), @"
    ConfigMap shop/a in release web (namespace shop), replayed with Helm 3.21.4 rules

    revision 1 · install · 2026-01-01 00:00:01 UTC
      apply: create (added) — created by the install
    revision 2 · upgrade · 2026-01-01 00:00:02 UTC
      apply: unchanged — unchanged

    Now: expected present and tracked by revision 1 (the deployed revision, which the next upgrade diffs
    against).

    note: revision 2: it failed while waiting for resources: the post hooks did not run
    [exit status: 0]
    ");
    insta::assert_snapshot!(run_args(&["explain", "web", "cm/b", "--from", records.path()]), @"
    ConfigMap shop/b in release web (namespace shop), replayed with Helm 3.21.4 rules

    revision 2 · upgrade · 2026-01-01 00:00:02 UTC
      apply: create (added) — created: new in this revision
      after: orphan (failed-base) — present but untracked: created by failed revision 2, which no later
        upgrade diffs against

    Now: expected present, but no revision tracks it — created by failed revision 2, which no later
    upgrade diffs against

    note: revision 2: it failed while waiting for resources: the post hooks did not run
    [exit status: 0]
    ");
}

#[test]
fn timeline_heads_a_failed_revision_as_failed() {
    let records = SecretsFile::new(&[
        rev(1)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .manifest_doc("web/templates/b.yaml", &cm("b"))
            .status(Status::Superseded, "Install complete"),
        rev(2)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(
                Status::Failed,
                "Upgrade \"web\" failed: timed out waiting for the condition",
            ),
        rev(3)
            .manifest_doc("web/templates/a.yaml", &cm("a"))
            .status(Status::Deployed, "Upgrade complete"),
    ]);
    // The failed upgrade deleted b before it stopped: its column says it failed.
    insta::assert_snapshot!(run_args(&["timeline", "web", "--from", records.path()]), @"
    Verdict: 1 medium hazard (listed below)

    OBJECT       1 install  2 upgrade (failed)  3 upgrade
    ConfigMap/a  created    unchanged           unchanged
    ConfigMap/b  created    deleted             -

    Hazards: 1 medium
      medium [failed-base] release web, revision 3: revision 3 was diffed against revision 1, skipping
        failed revision 2
    [exit status: 0]
    ");
    // JSON keeps `[revision, operation]`; the status is history's.
    let out = helm_why()
        .args(["timeline", "web", "--from", records.path(), "-o", "json"])
        .output()
        .expect("the helm-why binary runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("timeline JSON");
    assert_eq!(
        json["revisions"],
        serde_json::json!([[1, "install"], [2, "upgrade"], [3, "upgrade"]])
    );
}

#[test]
fn a_line_break_in_a_record_cannot_forge_a_table_row() {
    let records = SecretsFile::new(&[rev(1)
        .manifest_doc("web/templates/a.yaml", &cm("a"))
        .status(
            Status::Failed,
            "Release \"web\" failed: 1 error occurred:\n\t* boom\n2  forged  deployed",
        )]);
    let escaped = "1 error occurred:\\n\\t* boom\\n2  forged  deployed";
    // -o wide: the description is a cell of the row.
    let out = run_args(&["history", "web", "--from", records.path(), "-o", "wide"]);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].contains(escaped), "{out}");
    // 80 columns: the description is a note under the table, escaped the same way.
    let out =
        run(helm_why()
            .env("COLUMNS", "80")
            .args(["history", "web", "--from", records.path()]));
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("2  forged")),
        "{out}"
    );
    assert!(out.contains("* boom"), "{out}");
    assert!(!out.contains("\t* boom"), "{out}");
}
