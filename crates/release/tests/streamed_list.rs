//! A JSON List read as a stream (`read_input_from`: items split from the reader, read on
//! worker threads, Secrets and ConfigMaps of the usual shape read straight from their text)
//! gives what reading it whole gives (`read_input_selected`), whatever the shape of its items.

#![allow(clippy::unwrap_used)]

use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::input::{InputOutcome, Select, read_input_from, read_input_selected};
use helm_why_release::{Layer, Limits};
use serde_json::{Value, json};

fn secret(name: &str, revision: u64) -> Value {
    ReleaseBuilder::new(name, "shop", revision)
        .chart(name, "1.0.0")
        .secret()
}

/// A List whose items take every path of the reader.
fn odd_list() -> String {
    let mut items = vec![secret("web", 1), secret("web", 2), secret("db", 1)];
    items.push(ReleaseBuilder::new("cache", "shop", 1).configmap());
    // A label that is a number, not a string (read through a `Value`).
    let mut numeric = secret("web", 3);
    numeric["metadata"]["labels"]["version"] = json!(3);
    items.push(numeric);
    // `stringData`, as a hand-written manifest has it.
    let mut string_data = secret("api", 1);
    let payload = string_data["data"]["release"].take();
    string_data["data"] = json!({});
    string_data["stringData"] = json!({ "release": payload });
    items.push(string_data);
    // Not Helm's.
    items.push(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
        "data": {"release": "eA=="}}),
    );
    items.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}));
    // What kubectl adds and nobody reads.
    let mut managed = secret("db", 2);
    managed["metadata"]["managedFields"] =
        json!([{"manager": "helm", "fieldsV1": {"f:data": {".": {}, "f:release": {}}}}]);
    items.push(managed);
    // A payload that is broken, and a record with no payload.
    let mut broken = secret("db", 3);
    broken["data"]["release"] = json!("not base64!");
    items.push(broken);
    let mut empty = secret("db", 4);
    empty["data"] = json!({});
    items.push(empty);
    // A bare payload string.
    items.push(json!(
        ReleaseBuilder::new("raw", "shop", 1)
            .chart("raw", "1.0.0")
            .payload()
    ));
    let text = serde_json::to_string_pretty(&list(items)).unwrap();
    // Text no `Value` can produce: an escaped name, and a duplicate key.
    let escaped = secret("esc", 1).to_string().replacen(
        "\"name\":\"sh.helm.release.v1.esc.v1\"",
        "\"name\":\"sh.helm.release.v1.esc\\u002ev1\"",
        1,
    );
    let duplicate = secret("dup", 1).to_string().replacen(
        "\"kind\":\"Secret\"",
        "\"kind\":\"Secret\",\"kind\":\"Secret\"",
        1,
    );
    text.replacen(
        "\"items\": [",
        &format!("\"items\": [{escaped},{duplicate},"),
        1,
    )
}

fn streamed(text: &str, select: Select<'_>) -> InputOutcome {
    read_input_from(text.as_bytes(), "dump.json", &Limits::default(), select).unwrap()
}

/// Every record of `text`, handed to `each` item by item (`false`: stop); what is left.
fn streamed_each(text: &[u8], each: &mut dyn FnMut(InputOutcome) -> bool) -> InputOutcome {
    helm_why_release::input::read_input_each(
        text,
        "dump.json",
        &Limits::default(),
        Select::All,
        each,
    )
    .unwrap()
}

/// What can be compared of two outcomes: each record, error and ignored object as text.
fn summary(out: &InputOutcome) -> Vec<String> {
    let mut lines: Vec<String> = out
        .records
        .iter()
        .map(|r| {
            format!(
                "record {} {} v{} ({}) {:?}",
                r.release.namespace, r.release.name, r.release.version, r.meta.reference, r.meta
            )
        })
        .chain(out.errors.iter().map(|e| format!("error {e}")))
        .chain(
            out.ignored
                .iter()
                .map(|i| format!("ignored {} ({})", i.what, i.reference)),
        )
        .collect();
    lines.sort();
    lines.push(format!("skipped {}", out.skipped));
    lines
}

#[test]
fn a_streamed_list_reads_as_the_whole_list_does() {
    let text = odd_list();
    let selections = [
        Select::All,
        Select::Latest,
        Select::Release {
            name: "db",
            namespace: Some("shop"),
        },
        Select::Releases {
            namespace: Some("shop"),
            names: &["db".to_owned(), "api".to_owned()].into(),
        },
    ];
    for select in selections {
        let whole = read_input_selected(text.as_bytes(), "dump.json", &Limits::default(), select);
        let stream = streamed(&text, select);
        assert_eq!(summary(&stream), summary(&whole), "{select:?}");
    }
    // The whole reading is itself right: every path was taken.
    let all = summary(&streamed(&text, Select::All));
    for want in [
        "record shop web v3",
        "record shop api v1",
        "record shop esc v1",
        "record shop dup v1",
        "record shop raw v1",
        "ignored Secret tls",
        "ignored Service web",
        "error sh.helm.release.v1.db.v4",
    ] {
        assert!(all.iter().any(|l| l.starts_with(want)), "{want}: {all:#?}");
    }
}

#[test]
fn a_list_cut_short_keeps_the_items_before_the_cut() {
    let text = serde_json::to_string_pretty(&list(vec![
        secret("web", 1),
        secret("web", 2),
        secret("web", 3),
    ]))
    .unwrap();
    // Inside the third item's payload.
    let at = text.rfind("\"release\": \"").unwrap() + 40;
    let out = streamed(&text[..at], Select::All);
    let revisions: Vec<u64> = out.records.iter().map(|r| r.release.version).collect();
    assert_eq!(revisions, [1, 2]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].layer, Layer::Json);
    let line = text[..at].lines().count();
    assert!(
        out.errors[0].to_string().contains(&format!(
            "input is not valid JSON: EOF while parsing a string at line {line}"
        )),
        "{}",
        out.errors[0]
    );
}

#[test]
fn an_item_that_is_not_json_costs_only_that_item() {
    let text = serde_json::to_string(&list(vec![secret("web", 1), secret("web", 2)])).unwrap();
    // Balanced, so the List's structure holds, but no JSON value.
    let text = text.replacen("\"kind\":\"Secret\"", "\"kind\":Secret", 1);
    let out = streamed(&text, Select::All);
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.errors.len(), 1);
    let error = out.errors[0].to_string();
    assert!(
        error.contains("item 0") && error.contains("the item is not valid JSON: expected value"),
        "{error}"
    );
}

#[test]
fn a_reader_told_to_stop_stops_without_reading_on() {
    let items = (1..=200).map(|n| secret("web", n)).collect();
    let text = serde_json::to_vec(&list(items)).unwrap();
    let mut seen = 0;
    let rest = streamed_each(&text, &mut |_| {
        seen += 1;
        seen < 2
    });
    assert_eq!(seen, 2, "nothing is handed over after `false`");
    assert!(rest.records.is_empty() && rest.errors.is_empty());
}

#[test]
fn revisions_share_one_copy_of_each_chart_text() {
    let rev = |n: u64, deploy: &str| {
        ReleaseBuilder::new("web", "shop", n)
            .template("templates/cm.yaml", "kind: ConfigMap")
            .template("templates/deploy.yaml", deploy)
            .secret()
    };
    let items = vec![
        rev(1, "kind: Deployment"),
        rev(2, "kind: Deployment"),
        rev(3, "kind: Deployment # changed"),
    ];
    let text = serde_json::to_vec(&list(items)).unwrap();
    let out = read_input_from(&text[..], "dump.json", &Limits::default(), Select::All).unwrap();
    let data = |r: usize, t: usize| &out.records[r].release.chart.templates[t].data;
    assert!(std::sync::Arc::ptr_eq(data(0, 0), data(1, 0)));
    assert!(std::sync::Arc::ptr_eq(data(0, 0), data(2, 0)));
    assert!(std::sync::Arc::ptr_eq(data(0, 1), data(1, 1)));
    assert!(!std::sync::Arc::ptr_eq(data(1, 1), data(2, 1)));
    assert_ne!(
        data(1, 1),
        data(2, 1),
        "a changed template keeps its own text"
    );
}

#[test]
fn a_long_list_is_handed_over_in_order_whatever_its_items_sizes() {
    // Items travel to the workers in batches, a large one alone: across every boundary the
    // List's order holds, and an item's error names its own position.
    let items = (1..=300)
        .map(|n| {
            let mut item = secret("web", n);
            if n % 40 == 0 {
                item["metadata"]["annotations"] = json!({ "note": "a".repeat(100_000) });
            }
            if n == 250 {
                item["data"]["release"] = json!("not base64!");
            }
            item
        })
        .collect();
    let text = serde_json::to_vec(&list(items)).unwrap();
    let (mut order, mut errors) = (Vec::new(), Vec::new());
    let rest = streamed_each(&text, &mut |out| {
        order.extend(out.records.iter().map(|r| r.release.version));
        errors.extend(out.errors.iter().map(ToString::to_string));
        true
    });
    assert!(rest.records.is_empty() && rest.errors.is_empty());
    let want: Vec<u64> = (1..=300).filter(|&n| n != 250).collect();
    assert_eq!(order, want);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("item 249"), "{}", errors[0]);
}
