//! The two passes of reading other releases (`explain`, `timeline`): `Select::Mentioning`
//! searches records without decoding them, `Select::Releases` decodes the releases found.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::input::{InputOutcome, Select, read_input_from, read_input_selected};
use helm_why_release::mentions::Mentions;
use helm_why_release::{Limits, ReleaseId, Status};

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
}

/// Namespace `shop`: `b` renders cm/shared in revision 1 only (revision 2 deletes it), `c`
/// never does, `own` is the release asked about; `x` in namespace `lab` renders it too.
fn records() -> Vec<serde_json::Value> {
    let b1 = ReleaseBuilder::new("b", "shop", 1)
        .manifest_doc("b/templates/shared.yaml", &cm("shared"))
        .status(Status::Superseded, "Install complete");
    let b2 = ReleaseBuilder::new("b", "shop", 2).manifest_doc("b/templates/b.yaml", &cm("b-only"));
    let b3 = ReleaseBuilder::new("b", "shop", 3).manifest_doc("b/templates/b.yaml", &cm("b-only"));
    let c = ReleaseBuilder::new("c", "shop", 1).manifest_doc("c/templates/c.yaml", &cm("c-only"));
    let own = ReleaseBuilder::new("own", "shop", 1)
        .manifest_doc("own/templates/shared.yaml", &cm("shared"));
    let x = ReleaseBuilder::new("x", "lab", 1).manifest_doc("x/templates/s.yaml", &cm("shared"));
    // The revisions that do not mention the object come first, as a LIST may order them.
    vec![
        b3.secret(),
        b2.secret(),
        c.secret(),
        b1.secret(),
        own.secret(),
        x.secret(),
    ]
}

fn read(select: Select<'_>, limits: &Limits) -> InputOutcome {
    let json = serde_json::to_vec(&list(records())).unwrap();
    read_input_from(&json[..], "dump.json", limits, select).unwrap()
}

#[test]
fn pass_one_finds_the_release_whose_older_revision_mentions_the_name_and_decodes_nothing() {
    let names = Mentions::new(["shared"]);
    let limits = Limits::default();
    let out = read(
        Select::Mentioning {
            namespace: Some("shop"),
            except: &own(),
            names: &names,
        },
        &limits,
    );
    assert!(out.records.is_empty(), "{:?}", out.records);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.skipped, 6);
    let found: Vec<_> = out.mentioning.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(found, ["b"]);

    // Nothing mentioned: nothing found.
    let none = Mentions::new(["nowhere"]);
    let out = read(
        Select::Mentioning {
            namespace: Some("shop"),
            except: &own(),
            names: &none,
        },
        &limits,
    );
    assert!(out.mentioning.is_empty() && out.records.is_empty());
}

fn own() -> ReleaseId {
    ReleaseId {
        namespace: "shop".to_owned(),
        name: "own".to_owned(),
    }
}

#[test]
fn every_namespace_is_searched_when_none_is_given_and_only_the_release_itself_is_left_out() {
    let names = Mentions::new(["shared"]);
    let limits = Limits::default();
    let out = read(
        Select::Mentioning {
            namespace: None,
            except: &own(),
            names: &names,
        },
        &limits,
    );
    assert!(out.records.is_empty(), "{:?}", out.records);
    let found: Vec<(&str, &str)> = out
        .mentioning
        .iter()
        .map(|(ns, n)| (ns.as_deref().unwrap_or(""), n.as_str()))
        .collect();
    assert_eq!(found, [("lab", "x"), ("shop", "b")]);
    // A release named as the one left out, in another namespace, is another release.
    let other_own = ReleaseId {
        namespace: "lab".to_owned(),
        name: "own".to_owned(),
    };
    let out = read(
        Select::Mentioning {
            namespace: None,
            except: &other_own,
            names: &names,
        },
        &limits,
    );
    let found: Vec<&str> = out.mentioning.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(found, ["x", "b", "own"]);
}

#[test]
fn pass_two_decodes_every_record_of_the_releases_found_and_nothing_else() {
    let names: BTreeSet<String> = BTreeSet::from(["b".to_owned()]);
    let limits = Limits::default();
    let out = read(
        Select::Releases {
            namespace: Some("shop"),
            names: &names,
        },
        &limits,
    );
    let mut got: Vec<(String, u64)> = out
        .records
        .iter()
        .map(|r| (r.release.name.clone(), r.release.version))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("b".to_owned(), 1),
            ("b".to_owned(), 2),
            ("b".to_owned(), 3)
        ]
    );
    assert_eq!(out.skipped, 3);
}

#[test]
fn a_record_that_cannot_be_searched_is_taken_as_a_mention() {
    let names = Mentions::new(["shared"]);
    let mut broken = ReleaseBuilder::new("d", "shop", 1).secret();
    broken["data"]["release"] = "not base64!".into();
    let yaml = serde_json::to_string(&list(vec![broken])).unwrap();
    let out = read_input_selected(
        yaml.as_bytes(),
        "dump.json",
        &Limits::default(),
        Select::Mentioning {
            namespace: Some("shop"),
            except: &own(),
            names: &names,
        },
    );
    // Pass 2 decodes it, and reports why it cannot be read, as without the search.
    let found: Vec<_> = out.mentioning.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(found, ["d"]);
}
