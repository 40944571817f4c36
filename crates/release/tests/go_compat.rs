//! Decoding exactly as Helm (Go's `encoding/json`, `compress/gzip`) does, on records built
//! by the project's record builder and then altered the way a corrupt or hostile record is.

#![allow(clippy::unwrap_used)]

use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::model::parse_release_json;
use helm_why_release::record::{RecordMeta, decode_record};
use helm_why_release::{Layer, Limits, RecordRef, codec};

fn web() -> ReleaseBuilder {
    ReleaseBuilder::new("web", "shop", 3).chart("web", "1.0.0")
}

/// Replace the first `from` in the builder's JSON.
fn altered_json(from: &str, to: &str) -> Vec<u8> {
    let json = String::from_utf8(web().to_json()).unwrap();
    assert!(json.contains(from), "{from} not in {json}");
    json.replacen(from, to, 1).into_bytes()
}

fn decode(json: &[u8]) -> Result<helm_why_release::Record, helm_why_release::DecodeError> {
    let payload = codec::encode_payload(json);
    decode_record(
        payload.as_bytes(),
        RecordMeta::raw(RecordRef::file("r")),
        &Limits::default(),
    )
}

#[test]
fn duplicate_keys_keep_the_last_like_go() {
    let json = altered_json(r#""name":"web","#, r#""name":"old","name":"web","#);
    assert_eq!(decode(&json).unwrap().release, web().build());
    // Nested objects too.
    let json = altered_json(r#""version":3"#, r#""version":1,"version":3"#);
    assert_eq!(decode(&json).unwrap().release.version, 3);
}

#[test]
fn a_json_array_is_not_a_release() {
    let mut json = b"[".to_vec();
    json.extend(web().to_json());
    json.push(b']');
    let err = decode(&json).unwrap_err();
    assert_eq!(err.layer, Layer::Json);
    assert!(err.detail.contains("array"), "{err}");
}

#[test]
fn revisions_outside_gos_int_are_refused() {
    let max = i64::MAX.to_string();
    assert_eq!(
        decode(&altered_json(
            r#""version":3"#,
            &format!(r#""version":{max}"#)
        ))
        .unwrap()
        .release
        .version,
        i64::MAX as u64
    );
    for bad in ["9223372036854775808", "18446744073709551615", "-1", "3.5"] {
        let err = decode(&altered_json(
            r#""version":3"#,
            &format!(r#""version":{bad}"#),
        ))
        .unwrap_err();
        assert_eq!(err.layer, Layer::Json, "{bad}");
        assert!(err.detail.contains("version"), "{err}");
    }
}

#[test]
fn wrong_typed_fields_are_named_without_quoting_the_payload() {
    for (from, to, field, expected) in [
        (
            r#""name":"web""#,
            r#""name":["sekrit-1"]"#,
            "\"name\"",
            "a string",
        ),
        (
            r#""version":3"#,
            r#""version":"sekrit-2""#,
            "\"version\"",
            "found a string",
        ),
        (
            r#""status":"deployed""#,
            r#""status":{"x":"sekrit-3"}"#,
            "info.status",
            "found an object",
        ),
    ] {
        let err = decode(&altered_json(from, to)).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.layer, Layer::Json, "{text}");
        assert!(text.contains(field), "{text} should name {field}");
        assert!(
            text.contains("wrong type") && text.contains(expected),
            "{text}"
        );
        assert!(!text.contains("sekrit"), "quotes the payload: {text}");
        assert!(!text.contains("missing"), "{text}");
    }
}

#[test]
fn syntax_errors_do_not_quote_the_payload() {
    let json = altered_json(r#""name":"web""#, r#""name":"sekrit" oops"#);
    let err = parse_release_json(&json).unwrap_err();
    assert!(!err.contains("sekrit") && !err.contains("oops"), "{err}");
    assert!(err.contains("line 1"), "{err}");
}

/// `head`, then a list of nine `x` and `levels` lists of nine aliases of the one before:
/// 9^(levels + 1) nodes from a few hundred bytes.
fn nested_aliases(head: &str, levels: usize) -> String {
    let mut bomb = format!("{head}a: &a [x,x,x,x,x,x,x,x,x]\n");
    for i in 0..levels {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    bomb
}

#[test]
fn many_small_alias_bombs_in_hooks_make_the_record_undecodable() {
    // 9^5 = 59,049 nodes from ~300 bytes, within one document's alias limits; 20 hooks
    // of it are over the record's budget of 1,000,000 nodes.
    let bomb = nested_aliases(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n",
        4,
    );
    let one = web().hook("w/templates/h.yaml", &bomb);
    assert!(decode(&one.to_json()).is_ok(), "one is fine");
    let mut many = one.build();
    let hook = many.hooks[0].clone();
    many.hooks.extend(std::iter::repeat_n(hook, 19));
    let json = helm_why_release::builder::encode_release_json(&many);
    let err = decode(&json).unwrap_err();
    assert_eq!(err.layer, Layer::Yaml, "{err}");
    assert!(err.detail.contains("alias bomb"), "{err}");
}

#[test]
fn past_sixteen_alias_bombs_a_run_stops_expanding_aliases() {
    // Each refusal replays aliases for a tenth of a second: a thousand small records ran for
    // minutes. One run's limits count them.
    let bomb = nested_aliases("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n", 5);
    let record = |json: &[u8], limits: &Limits| {
        let payload = codec::encode_payload(json);
        decode_record(
            payload.as_bytes(),
            RecordMeta::raw(RecordRef::file("r")),
            limits,
        )
    };
    let bombed = web().manifest_doc("w/templates/b.yaml", &bomb).to_json();
    let anchored = web()
        .manifest_doc(
            "w/templates/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: &x 1\ny: *x\n",
        )
        .to_json();
    let limits = Limits::default();
    assert!(record(&anchored, &limits).is_ok());
    for i in 0..16 {
        let err = record(&bombed, &limits).unwrap_err();
        assert!(err.detail.contains("(an alias bomb?)"), "{i}: {err}");
    }
    assert_eq!(limits.alias_bombs.count(), 16);
    // The 17th, and any record whose documents may use aliases, are refused unread.
    for json in [&bombed, &anchored] {
        let err = record(json, &limits).unwrap_err();
        assert!(
            err.detail
                .contains("this run has refused 16 alias bombs already"),
            "{err}"
        );
    }
    // Records without aliases still read; another run starts afresh.
    assert!(record(&web().to_json(), &limits).is_ok());
    assert!(record(&anchored, &Limits::default()).is_ok());
}
