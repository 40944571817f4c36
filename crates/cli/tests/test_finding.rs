//! Finding releases and objects: "did you mean", the same release in another namespace, and
//! object arguments written as kubectl accepts them.

use helm_why_release::Status;
use helm_why_release::builder::{ReleaseBuilder, list};

use crate::harness::{helm_why, run};

const OLD_INGRESS: &str = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n";
const NEW_INGRESS: &str =
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n";
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";

/// `frontend` in `shop` and `staging`, `backend` in `shop` (its Ingress moved from
/// extensions/v1beta1 to networking.k8s.io/v1 at revision 2), and twelve `svc-N` in `many`.
fn records(dir: &std::path::Path) -> std::path::PathBuf {
    let mut items = vec![
        ReleaseBuilder::new("frontend", "shop", 1).secret(),
        ReleaseBuilder::new("frontend", "staging", 1).secret(),
        ReleaseBuilder::new("backend", "shop", 1)
            .status(Status::Superseded, "Install complete")
            .manifest_doc("backend/templates/ing.yaml", OLD_INGRESS)
            .manifest_doc("backend/templates/deploy.yaml", DEPLOYMENT)
            .secret(),
        ReleaseBuilder::new("backend", "shop", 2)
            .manifest_doc("backend/templates/ing.yaml", NEW_INGRESS)
            .manifest_doc("backend/templates/deploy.yaml", DEPLOYMENT)
            .secret(),
    ];
    items.extend((1..=12).map(|i| ReleaseBuilder::new(&format!("svc-{i}"), "many", 1).secret()));
    let path = dir.join("records.json");
    std::fs::write(&path, serde_json::to_vec(&list(items)).unwrap()).unwrap();
    path
}

fn run_on(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = records(dir.path());
    run(helm_why().args(args).arg("--from").arg(&path))
}

#[test]
fn a_misspelt_release_gets_a_suggestion() {
    insta::assert_snapshot!(run_on(&["history", "fronted"]), @r#"
    ------- stderr -------
    helm-why: release "fronted" not found in 1 file
    hint: did you mean frontend?
    [exit status: 1]
    "#);
    insta::assert_snapshot!(run_on(&["history", "svc-13"]), @r#"
    ------- stderr -------
    helm-why: release "svc-13" not found in 1 file
    hint: did you mean svc-1, svc-10, svc-11, svc-12 and 8 more?
    [exit status: 1]
    "#);
}

#[test]
fn a_release_in_another_namespace_is_named() {
    insta::assert_snapshot!(run_on(&["history", "frontend", "-n", "prod"]), @r#"
    ------- stderr -------
    helm-why: release "frontend" not found in namespace "prod" of 1 file
    hint: found in namespaces shop, staging: add -n shop
    [exit status: 1]
    "#);
}

#[test]
fn long_lists_are_cut_with_a_count() {
    insta::assert_snapshot!(run_on(&["history", "zzz"]), @r#"
    ------- stderr -------
    helm-why: release "zzz" not found in 1 file
    hint: releases found: many/svc-1, many/svc-10, many/svc-11, many/svc-12, many/svc-2, many/svc-3, many/svc-4, many/svc-5 and 7 more
    [exit status: 1]
    "#);
}

#[test]
fn objects_as_kubectl_names_them() {
    for arg in [
        "ingress.extensions/web",
        "ingresses.networking.k8s.io/web",
        "ing/web",
        "Ingress/web",
        "ingress.v1beta1.extensions/web",
    ] {
        let out = run_on(&["explain", "backend", arg]);
        assert!(
            out.starts_with("Ingress.networking.k8s.io shop/web in release backend"),
            "{arg}: {out}"
        );
    }
    let two_words = run_on(&["explain", "backend", "deployment.apps", "web"]);
    assert!(
        two_words.starts_with("Deployment.apps shop/web"),
        "{two_words}"
    );
}

#[test]
fn a_misspelt_object_gets_a_suggestion() {
    insta::assert_snapshot!(run_on(&["explain", "backend", "deploy/wbe"]), @r#"
    ------- stderr -------
    helm-why: no object deploy/wbe in any revision of release "backend"
    hint: did you mean deployment/web?
    [exit status: 1]
    "#);
    insta::assert_snapshot!(run_on(&["explain", "backend", "svc/web"]), @r#"
    ------- stderr -------
    helm-why: no object svc/web in any revision of release "backend"
    hint: did you mean deployment/web or ingress/web?
    [exit status: 1]
    "#);
    insta::assert_snapshot!(run_on(&["explain", "backend", "cm/zzz"]), @r#"
    ------- stderr -------
    helm-why: no object cm/zzz in any revision of release "backend"
    hint: objects seen: deployment/web, ingress/web
    [exit status: 1]
    "#);
}
