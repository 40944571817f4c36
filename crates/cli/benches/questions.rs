//! The questions benchmark (docs/performance.md): the time and peak memory of the questions
//! people ask helm-why, each beside an "inflate floor" — a minimal program that reads the same
//! `v1 List`, base64-decodes `data.release` twice and gunzips it with helm-why's own decoder
//! (`codec::peel_then`), and does nothing else.
//!
//! `cargo bench -p helm-why --bench questions` generates the corpora (deterministically, once,
//! under `target/bench-corpora`), runs the real `helm-why` binary and the floor (this binary,
//! `--floor`) as child processes, and prints a table of times, ratios and peak RSS. For `scan`
//! it also measures a "reading floor" (`--read-floor`): every record unpacked and read into
//! the release model on every core, which `scan` cannot do without.
//! `-- --quick` uses small corpora and one run each (what `.ci/run` does to keep it working);
//! it asserts nothing about time. `-- --only TEXT` measures only the questions whose name
//! contains TEXT (e.g. `--only scan`).

use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;

// The floor allocates with helm-why's allocator: a lower bound should not pay for 4 KiB page
// faults that helm-why does not pay.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--measure") => measure_child(&args[1..]),
        Some("--floor") => floor(&args[1..]),
        Some("--read-floor") => read_floor(&args[1..]),
        _ => {
            // `--only TEXT` measures only the questions whose name contains TEXT.
            let only = args
                .iter()
                .position(|a| a == "--only")
                .and_then(|i| args.get(i + 1).cloned());
            run(args.iter().any(|a| a == "--quick"), only.as_deref());
        }
    }
}

// --- Corpora ---------------------------------------------------------------------------------

/// A deterministic pseudo-random sequence (an LCG), so every run writes the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn word(&mut self) -> String {
        const SYL: [&str; 12] = [
            "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "ba", "do",
        ];
        (0..3)
            .map(|_| SYL[(self.next() % 12) as usize])
            .collect::<String>()
    }
}

/// One object of a chart: its template file and the document it renders at a revision.
fn document(kind: usize, name: &str, generation: u64, rng: &mut Lcg) -> String {
    match kind % 3 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {name}\n    app.kubernetes.io/managed-by: Helm\n    helm.sh/chart: app-1.0.{generation}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {name}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.{generation}.0\n        ports:\n        - containerPort: 8080\n          name: http\n        env:\n        - name: MODE\n          value: {}\n        - name: REGION\n          value: {}\n        resources:\n          limits:\n            cpu: 500m\n            memory: 256Mi\n          requests:\n            cpu: 100m\n            memory: 128Mi\n        readinessProbe:\n          httpGet:\n            path: /healthz\n            port: http\n",
            rng.word(),
            rng.word()
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {name}\nspec:\n  type: ClusterIP\n  ports:\n  - port: 80\n    targetPort: http\n    protocol: TCP\n    name: http\n  selector:\n    app.kubernetes.io/name: {name}\n"
        ),
        _ => {
            let mut s = format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  generation: \"{generation}\"\n  app.properties: |\n"
            );
            for _ in 0..12 {
                let _ = writeln!(s, "    {}.{} = {}", rng.word(), rng.word(), rng.word());
            }
            s
        }
    }
}

/// Revision `rev` of release `name`: `objects` objects, of which each revision changes a few,
/// drops one and adds one (names move on with the revision).
fn revision(name: &str, rev: u64, last: u64, objects: usize, rng: &mut Lcg) -> ReleaseBuilder {
    let mut b = ReleaseBuilder::new(name, "bench", rev)
        .chart("app", &format!("1.0.{rev}"))
        .app_version(&format!("1.{rev}.0"))
        .config(serde_json::json!({"replicas": 2, "image": {"tag": format!("1.{rev}.0")}}))
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
    // Object i exists from revision i/objects-ish on: one added, one dropped per revision.
    for i in rev as usize..rev as usize + objects {
        let obj = format!("{name}-o{i}");
        // A few objects change each revision; the rest keep generation 0.
        let generation = if i % 16 == (rev as usize % 16) {
            rev
        } else {
            0
        };
        let mut doc_rng = Lcg(i as u64);
        let doc = document(i, &obj, generation, &mut doc_rng);
        let template = format!("templates/o{i}.yaml");
        b = b
            .template(&template, &doc)
            .manifest_doc(&format!("app/{template}"), &doc);
    }
    let _ = rng.next();
    b
}

/// Write a `v1 List` of Secrets, one item at a time.
fn write_list(path: &Path, releases: usize, revisions: u64, objects: usize) {
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).expect("create a corpus file");
    let mut out = BufWriter::new(file);
    let _ = out.write_all(b"{\"apiVersion\":\"v1\",\"items\":[");
    let mut first = true;
    let mut rng = Lcg(42);
    for r in 0..releases {
        let name = format!("app-{r:04}");
        for rev in 1..=revisions {
            if !first {
                let _ = out.write_all(b",");
            }
            first = false;
            let secret = revision(&name, rev, revisions, objects, &mut rng).secret();
            serde_json::to_writer(&mut out, &secret).expect("write a corpus item");
        }
    }
    let _ = out.write_all(b"],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}");
    out.flush().expect("flush a corpus file");
    drop(out);
    std::fs::rename(&tmp, path).expect("finish a corpus file");
}

struct Corpus {
    label: String,
    path: PathBuf,
    records: usize,
}

fn corpus(dir: &Path, releases: usize, revisions: u64, objects: usize) -> Corpus {
    let path = dir.join(format!("list-{releases}x{revisions}x{objects}.json"));
    if !path.exists() {
        eprintln!("generating {} …", path.display());
        write_list(&path, releases, revisions, objects);
    }
    Corpus {
        label: format!(
            "{} records ({releases} rel × {revisions} rev × {objects} obj, {:.0} MB)",
            releases * revisions as usize,
            std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6)
        ),
        path,
        records: releases * revisions as usize,
    }
}

/// Serve a corpus's records from the in-repo API server (`testkube`), and write a kubeconfig
/// for it next to the corpora.
fn serve(c: &Corpus, dir: &Path) -> (testkube::TestCluster, PathBuf) {
    let text = std::fs::read(&c.path).expect("read a corpus");
    let list: serde_json::Value = serde_json::from_slice(&text).expect("a corpus is JSON");
    let cluster = testkube::TestCluster::start();
    if let Some(items) = list["items"].as_array() {
        cluster.add_all(items.iter().cloned());
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, cluster.kubeconfig(Some("bench"))).expect("write a kubeconfig");
    (cluster, path)
}

// --- Measuring -------------------------------------------------------------------------------

/// Run as a child: run the command, then report its wall time and peak RSS (the children's
/// `ru_maxrss`, which only this one child contributes to).
fn measure_child(cmd: &[String]) {
    let start = Instant::now();
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run the measured command");
    let wall = start.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    println!(
        "{} {} {}",
        wall.as_secs_f64(),
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
}

struct Sample {
    wall: Duration,
    rss_kib: i64,
}

/// The best wall time of `runs`, and the highest peak RSS.
fn sample(cmd: &[String], runs: usize) -> Sample {
    let me = std::env::current_exe().expect("own path");
    let mut best = Duration::MAX;
    let mut rss = 0;
    for _ in 0..runs {
        let out = Command::new(&me)
            .arg("--measure")
            .args(cmd)
            .output()
            .expect("run the measurer");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace();
        let secs: f64 = fields
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN);
        let kib: i64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let code = fields.next().unwrap_or("?");
        assert!(
            code == "0" || code == "2",
            "{cmd:?} exited with {code}: the benchmark measures only successful runs"
        );
        best = best.min(Duration::from_secs_f64(secs));
        rss = rss.max(kib);
    }
    Sample {
        wall: best,
        rss_kib: rss,
    }
}

// --- The floor -------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct FloorList<'a> {
    #[serde(borrow)]
    items: Vec<FloorItem<'a>>,
}

#[derive(serde::Deserialize)]
struct FloorItem<'a> {
    #[serde(borrow)]
    metadata: FloorMeta<'a>,
    #[serde(borrow)]
    data: FloorData<'a>,
}

#[derive(serde::Deserialize)]
struct FloorMeta<'a> {
    #[serde(borrow)]
    labels: FloorLabels<'a>,
}

#[derive(serde::Deserialize)]
struct FloorLabels<'a> {
    name: &'a str,
}

#[derive(serde::Deserialize)]
struct FloorData<'a> {
    release: &'a str,
}

/// `--floor FILE [RELEASE]`: read the List, and for every item (of RELEASE only, selected by
/// its `name` label before any decoding) base64-decode twice and gunzip, with helm-why's own
/// decoder: the floor is as fast as helm-why's unpacking, never slower. Nothing else.
fn floor(args: &[String]) {
    let bytes = std::fs::read(&args[0]).expect("read the corpus");
    let only = args.get(1);
    let list: FloorList<'_> = serde_json::from_slice(&bytes).expect("a v1 List");
    let limits = helm_why_release::Limits::default().with_run_budget(usize::MAX);
    let mut inflated = 0usize;
    for item in list.items {
        if only.is_some_and(|r| r != item.metadata.labels.name) {
            continue;
        }
        let payload = item.data.release.as_bytes();
        inflated += helm_why_release::codec::peel_then(payload, &limits, |p| p.json.len())
            .expect("a record of the corpus");
    }
    println!("{inflated}");
}

/// `--read-floor FILE`: what `scan` cannot do without, on every core: read the List, then
/// unpack every record and read its JSON into helm-why's release model, dropping it. No
/// manifest is parsed, nothing is replayed.
fn read_floor(args: &[String]) {
    let bytes = std::fs::read(&args[0]).expect("read the corpus");
    let list: FloorList<'_> = serde_json::from_slice(&bytes).expect("a v1 List");
    let limits = helm_why_release::Limits::default().with_run_budget(usize::MAX);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = list.items.len().div_ceil(cores).max(1);
    let manifests: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = list
            .items
            .chunks(share)
            .map(|items| {
                let limits = &limits;
                scope.spawn(move || {
                    items
                        .iter()
                        .map(|item| {
                            helm_why_release::codec::peel_then(
                                item.data.release.as_bytes(),
                                limits,
                                |p| helm_why_release::model::parse_release_json(&p.json),
                            )
                            .expect("a record of the corpus")
                            .expect("a release of the corpus")
                            .manifest
                            .len()
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a reader"))
            .sum()
    });
    println!("{manifests}");
}

// --- The questions ---------------------------------------------------------------------------

struct Row {
    question: String,
    corpus: String,
    ours: Sample,
    floor: Sample,
}

fn run(quick: bool, only: Option<&str>) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-corpora");
    std::fs::create_dir_all(&target).expect("corpus dir");
    let bin = env!("CARGO_BIN_EXE_helm-why").to_owned();
    let me = std::env::current_exe()
        .expect("own path")
        .to_string_lossy()
        .into_owned();
    let runs = if quick { 1 } else { 3 };
    let (small, large) = if quick { (10, 20) } else { (100, 1000) };
    let many = corpus(&target, small, 10, 40);
    let more = corpus(&target, large, 10, 40);
    let wide = corpus(&target, 1, if quick { 10 } else { 100 }, 150);
    let long = corpus(&target, 1, if quick { 20 } else { 1000 }, 50);
    let huge = corpus(&target, 1, 10, if quick { 200 } else { 2000 });

    let path = |c: &Corpus| c.path.to_string_lossy().into_owned();
    let helm_why = |args: &[&str], c: &Corpus| {
        let mut cmd = vec![bin.clone()];
        cmd.extend(args.iter().map(|s| (*s).to_owned()));
        cmd.extend(["--from".to_owned(), path(c)]);
        cmd
    };
    let floor_of = |c: &Corpus, release: Option<&str>| {
        let mut cmd = vec![me.clone(), "--floor".to_owned(), path(c)];
        cmd.extend(release.map(str::to_owned));
        cmd
    };
    let one = "app-0004";
    let plan: Vec<(String, &Corpus, Vec<String>, Vec<String>)> = vec![
        (
            "list -A".into(),
            &many,
            helm_why(&["list", "-A"], &many),
            floor_of(&many, None),
        ),
        (
            "list -A".into(),
            &more,
            helm_why(&["list", "-A"], &more),
            floor_of(&more, None),
        ),
        (
            "scan".into(),
            &many,
            helm_why(&["scan", "--fail-on", "never"], &many),
            floor_of(&many, None),
        ),
        (
            "scan".into(),
            &more,
            helm_why(&["scan", "--fail-on", "never"], &more),
            floor_of(&more, None),
        ),
        // Every release of the file is read to find the few that mention the object.
        (
            format!("who deploy/{one}-o12 -A"),
            &more,
            helm_why(&["who", &format!("deploy/{one}-o12"), "-A"], &more),
            floor_of(&more, None),
        ),
        (
            format!("history {one}"),
            &many,
            helm_why(&["history", one], &many),
            floor_of(&many, Some(one)),
        ),
        (
            format!("timeline {one}"),
            &many,
            helm_why(&["timeline", one], &many),
            floor_of(&many, Some(one)),
        ),
        (
            format!("explain {one} deploy/{one}-o12"),
            &many,
            helm_why(&["explain", one, &format!("deploy/{one}-o12")], &many),
            floor_of(&many, Some(one)),
        ),
        // Issue 9's question about one release: its own records only.
        (
            format!("timeline {one} --no-other-releases"),
            &many,
            helm_why(&["timeline", one, "--no-other-releases"], &many),
            floor_of(&many, Some(one)),
        ),
        (
            format!("explain {one} deploy/{one}-o12 --no-other-releases"),
            &many,
            helm_why(
                &[
                    "explain",
                    one,
                    &format!("deploy/{one}-o12"),
                    "--no-other-releases",
                ],
                &many,
            ),
            floor_of(&many, Some(one)),
        ),
        (
            "timeline app-0000".into(),
            &wide,
            helm_why(&["timeline", "app-0000"], &wide),
            floor_of(&wide, None),
        ),
        (
            "timeline app-0000".into(),
            &long,
            helm_why(&["timeline", "app-0000"], &long),
            floor_of(&long, None),
        ),
        (
            "timeline app-0000".into(),
            &huge,
            helm_why(&["timeline", "app-0000"], &huge),
            floor_of(&huge, None),
        ),
        (
            format!("history {one}"),
            &more,
            helm_why(&["history", one], &more),
            floor_of(&more, Some(one)),
        ),
        // The other 999 releases share the namespace: every record is searched for the
        // object names (issue 10's other releases), none is decoded.
        (
            format!("timeline {one}"),
            &more,
            helm_why(&["timeline", one], &more),
            floor_of(&more, Some(one)),
        ),
        (
            format!("timeline {one} --no-other-releases"),
            &more,
            helm_why(&["timeline", one, "--no-other-releases"], &more),
            floor_of(&more, Some(one)),
        ),
    ];
    // The larger corpus served by the in-repo API server: `scan -A` and `list -A` read it
    // live, page by page (the floor still decodes the file).
    let served = serve(&more, &target);
    let kubeconfig = served.1.to_string_lossy().into_owned();
    let live = |args: &[&str]| {
        let mut cmd = vec![bin.clone()];
        cmd.extend(args.iter().map(|s| (*s).to_owned()));
        cmd.extend(["--kubeconfig".to_owned(), kubeconfig.clone()]);
        cmd
    };
    let plan = plan
        .into_iter()
        .chain([
            (
                "list -A (live)".to_owned(),
                &more,
                live(&["list", "-A"]),
                floor_of(&more, None),
            ),
            (
                "scan -A (live)".to_owned(),
                &more,
                live(&["scan", "-A", "--fail-on", "never"]),
                floor_of(&more, None),
            ),
            (
                format!("timeline {one} (live)"),
                &more,
                live(&["timeline", one]),
                floor_of(&more, Some(one)),
            ),
            (
                format!("timeline {one} --no-other-releases (live)"),
                &more,
                live(&["timeline", one, "--no-other-releases"]),
                floor_of(&more, Some(one)),
            ),
        ])
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    for (question, c, ours, floor) in plan {
        if only.is_some_and(|o| !question.contains(o)) {
            continue;
        }
        eprintln!("measuring {question} on {} …", c.label);
        rows.push(Row {
            question,
            corpus: c.label.clone(),
            ours: sample(&ours, runs),
            floor: sample(&floor, runs),
        });
    }
    // Lines of the rows chosen by `which`, each against a time of the `list -A` row of its
    // corpus (`of`).
    let against_list_row = |which: &dyn Fn(&Row) -> bool, of: fn(&Row) -> Duration, what: &str| {
        let mut lines = String::new();
        for row in rows.iter().filter(|r| which(r)) {
            // A live question is compared with the live `list -A`.
            let live = if row.question.ends_with(" (live)") {
                " (live)"
            } else {
                ""
            };
            let list_question = format!("list -A{live}");
            if let Some(list) = rows
                .iter()
                .find(|r| r.question == list_question && r.corpus == row.corpus)
            {
                let _ = write!(
                    lines,
                    "\n{} / {what}{live} on {}: {:.1}×",
                    row.question,
                    row.corpus,
                    row.ours.wall.as_secs_f64() / of(list).as_secs_f64().max(1e-9)
                );
            }
        }
        lines
    };
    // Issue 10's goal for scan is relative to list -A on the same records.
    let against_list = against_list_row(
        &|r| r.question == "scan" || r.question == "scan -A (live)",
        |l| l.ours.wall,
        "list -A",
    );
    // What part of scan's time reading the records into the model takes, on every core.
    let mut against_reading = String::new();
    for row in rows.iter().filter(|r| r.question == "scan") {
        let Some(c) = [&many, &more].into_iter().find(|c| c.label == row.corpus) else {
            continue;
        };
        let read = sample(&[me.clone(), "--read-floor".to_owned(), path(c)], runs);
        let list = rows
            .iter()
            .find(|r| r.question == "list -A" && r.corpus == row.corpus);
        let _ = write!(
            against_reading,
            "\nscan / reading every record into the model on every core ({:.3} s{}) on {}: {:.1}×",
            read.wall.as_secs_f64(),
            list.map_or(String::new(), |l| format!(
                ", itself {:.1}× list -A",
                read.wall.as_secs_f64() / l.ours.wall.as_secs_f64().max(1e-9)
            )),
            row.corpus,
            row.ours.wall.as_secs_f64() / read.wall.as_secs_f64().max(1e-9)
        );
    }
    // By default `timeline` and `explain` search every record of the namespace for the
    // objects' names (issue 10): beside the floor of the release's records, the floor of
    // the namespace's, which is the `list -A` row's (every record of these corpora is in one
    // namespace).
    let against_namespace = against_list_row(
        &|r| {
            r.question.contains(one)
                && !r.question.starts_with("history")
                && !r.question.starts_with("who")
                && !r.question.contains("--no-other-releases")
                && !r.question.contains("(live)")
        },
        |l| l.floor.wall,
        "the namespace's floor",
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n| question | corpus | helm-why | floor | ratio | helm-why peak RSS | floor peak RSS |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| `{}` | {} | {:.3} s | {:.3} s | {:.1}× | {} MiB | {} MiB |",
            r.question,
            r.corpus,
            r.ours.wall.as_secs_f64(),
            r.floor.wall.as_secs_f64(),
            r.ours.wall.as_secs_f64() / r.floor.wall.as_secs_f64().max(1e-9),
            r.ours.rss_kib / 1024,
            r.floor.rss_kib / 1024,
        );
    }
    println!("{against_list}{against_reading}{against_namespace}");
    println!(
        "\nload average after the run: {}; records per corpus: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        [&many, &more, &wide, &long, &huge]
            .iter()
            .map(|c| c.records.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
