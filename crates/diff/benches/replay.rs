//! Replay speed: a 100-revision history of a realistic chart, replayed with Helm's rules.
//!
//! ```text
//! cargo bench -p helm-why-diff --bench replay
//! ```
//!
//! The history is generated with the record builder (fixed content, no randomness): 50
//! tracked objects and 3 hooks per revision, values changing every revision, and every tenth
//! revision renaming, removing, hooking or re-grouping a few objects, so every phase of the
//! simulator runs. Without `--bench` (as `cargo test --all-targets` runs it) one small
//! iteration runs as a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use helm_why_diff::{ReplayOptions, RevisionView, replay};
use helm_why_release::builder::ReleaseBuilder;
use helm_why_release::history::{History, group};
use helm_why_release::{HookEvent, Record, RecordMeta, ScopeResolver, Status};

fn deployment(name: &str, rev: u64) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n      annotations:\n        checksum/config: \"{rev:064}\"\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.{rev}.0\n        ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: production\n        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n"
    )
}

fn revision(rev: u64, last: u64) -> ReleaseBuilder {
    let mut b = ReleaseBuilder::new("shop", "prod", rev)
        .chart("shop", &format!("1.{rev}.0"))
        .config(serde_json::json!({"replicas": 2, "build": rev}))
        .status(
            if rev == last {
                Status::Deployed
            } else {
                Status::Superseded
            },
            if rev == 1 {
                "Install complete"
            } else {
                "Upgrade complete"
            },
        );
    let era = rev / 10;
    for i in 0..16u64 {
        // Every tenth revision renames one ConfigMap and drops another.
        let name = if i == era % 16 {
            format!("cfg-{i}-e{era}")
        } else {
            format!("cfg-{i}")
        };
        if i == (era + 5) % 16 && rev.is_multiple_of(10) {
            continue;
        }
        b = b.manifest_doc(
            "shop/templates/cm.yaml",
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  build: \"{rev}\"\n  mode: production\n"),
        );
    }
    for i in 0..17u64 {
        b = b.manifest_doc(
            "shop/templates/deploy.yaml",
            &deployment(&format!("svc-{i}"), rev),
        );
        b = b.manifest_doc(
            "shop/templates/svc.yaml",
            &format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\nspec:\n  selector:\n    app: svc-{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n"),
        );
    }
    // One object alternates between tracked and hook every ten revisions.
    let hooked = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: migrate-config\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n";
    if era.is_multiple_of(2) {
        b = b.manifest_doc(
            "shop/templates/migrate-cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: migrate-config\n",
        );
    } else {
        b = b.hook("shop/templates/migrate-cm.yaml", hooked);
    }
    for (i, policy) in [
        "before-hook-creation",
        "hook-succeeded",
        "before-hook-creation,hook-succeeded",
    ]
    .iter()
    .enumerate()
    {
        b = b.hook(
            "shop/templates/job.yaml",
            &format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate-{i}\n  annotations:\n    helm.sh/hook: pre-upgrade,pre-install\n    helm.sh/hook-delete-policy: {policy}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: registry.example.com/migrate:1.{rev}.0\n"),
        );
    }
    b.hooks_ran_for(&[HookEvent::PreInstall, HookEvent::PreUpgrade])
}

fn history(revisions: u64) -> History {
    let records = (1..=revisions)
        .map(|rev| Record {
            meta: RecordMeta::raw(Default::default()),
            release: revision(rev, revisions).build(),
        })
        .collect();
    group(records, vec![]).releases.remove(0)
}

/// Mean time per run of `f`, over at least `min` of wall time.
fn measure(min: Duration, mut f: impl FnMut()) -> (Duration, u32) {
    f();
    let start = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || start.elapsed() < min {
        f();
        runs += 1;
    }
    (start.elapsed() / runs, runs)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (revisions, min) = if full {
        (100, Duration::from_secs(2))
    } else {
        (5, Duration::ZERO)
    };
    let history = history(revisions);
    let docs: usize = history
        .revisions
        .iter()
        .map(|r| r.release.manifest.matches("\n---\n").count() + 1 + r.release.hooks.len())
        .sum();
    let bytes: usize = history
        .revisions
        .iter()
        .map(|r| r.release.manifest.len())
        .sum();
    let scopes = ScopeResolver::builtin();

    let (parse, parse_runs) = measure(min, || {
        for r in &history.revisions {
            black_box(RevisionView::new(&r.release, &scopes));
        }
    });
    let options = ReplayOptions::default();
    let (full_replay, replay_runs) = measure(min, || {
        black_box(replay(&history, &options));
    });
    let r = replay(&history, &options);
    let events: usize = r.steps.iter().map(|s| s.events.len()).sum();

    println!(
        "replay of {revisions} revisions: {docs} documents, {:.1} MB of manifests, {events} events, {} hazards",
        bytes as f64 / 1e6,
        r.hazards.len()
    );
    println!(
        "{:<34} {:>12} {:>14} {:>8}",
        "measurement", "per history", "per revision", "runs"
    );
    for (name, d, runs) in [
        ("parse every revision, 1 thread", parse, parse_runs),
        (
            "replay (parallel parse + simulate)",
            full_replay,
            replay_runs,
        ),
    ] {
        println!(
            "{name:<34} {:>9.2} ms {:>11.1} µs {runs:>8}",
            d.as_secs_f64() * 1e3,
            d.as_secs_f64() * 1e6 / revisions as f64
        );
    }
    println!("(replay parses the revisions on every core; the first row is the same parse on one)");
}
