//! One broken document in a multi-document file costs only that document.

#![allow(clippy::unwrap_used)]

use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::input::read_input;
use helm_why_release::{Layer, Limits};

fn secret_doc(revision: u64) -> String {
    let rev = ReleaseBuilder::new("web", "shop", revision).chart("web", "1.0.0");
    // JSON is YAML: one document per Secret, as `kubectl get -o yaml` would separate them.
    format!("---\n{}\n", serde_json::to_string(&rev.secret()).unwrap())
}

#[test]
fn a_yaml_syntax_error_drops_only_its_document() {
    let text = format!(
        "{}---\nkind: Secret\nmetadata: {{name: [unclosed\n{}",
        secret_doc(1),
        secret_doc(2)
    );
    let out = read_input(text.as_bytes(), "dump.yaml", &Limits::default());
    let revisions: Vec<u64> = out.records.iter().map(|r| r.release.version).collect();
    assert_eq!(revisions, vec![1, 2]);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].layer, Layer::Yaml);
    assert_eq!(out.errors[0].record.document, Some(1), "{}", out.errors[0]);
}

#[test]
fn an_invalid_utf8_byte_drops_only_its_document() {
    let mut bytes = secret_doc(1).into_bytes();
    bytes.extend(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n");
    bytes.extend(secret_doc(2).into_bytes());
    let out = read_input(&bytes, "dump.yaml", &Limits::default());
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let text = out.errors[0].to_string();
    assert!(
        text.contains("dump.yaml, document 1") && text.contains("not UTF-8"),
        "{text}"
    );
}

/// Found by the `read_input` fuzz target: when the stream failed, each document was parsed
/// again with a budget of its own, so a file of many small alias bombs cost the parser's
/// limit once per document (seconds per hundred documents). They now share one budget.
#[test]
fn documents_read_one_by_one_share_one_yaml_budget() {
    let bomb = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad/alias-bomb.yaml"),
    )
    .unwrap();
    let mut small = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for i in 0..4 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        small.push_str(&format!(
            "l{i}: &l{i} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    for (what, doc) in [
        ("breaching", bomb.as_str()),
        ("within limits", small.as_str()),
    ] {
        // A syntax error first, so that the file is read document by document.
        let text = format!("---\nbroken: [\n{}", format!("---\n{doc}").repeat(300));
        let out = read_input(text.as_bytes(), "bombs.yaml", &Limits::default());
        let skipped = out
            .errors
            .iter()
            .filter(|e| e.detail.contains("this document was not parsed"))
            .count();
        assert!(
            skipped >= 280,
            "{what}: only {skipped} of 300 skipped: {:?}",
            out.errors.last()
        );
    }
}
