//! Decode throughput of Helm release records: records/s and MB/s of decompressed release JSON,
//! with 1 and 2 threads, beside raw gzip decompression of the same bytes (the physical limit).
//!
//! ```text
//! cargo bench -p helm-why-release --bench decode            # full run (about 70 s)
//! cargo bench -p helm-why-release --bench decode -- large   # only the sizes whose name contains "large"
//! cargo bench -p helm-why-release --bench decode -- --retry-busy=5   # on a shared machine
//! ```
//!
//! The records are generated with [`ReleaseBuilder`] from a fixed-seed LCG, so every run
//! decodes the same bytes: a small chart (5 documents), a medium one (60), a large one (600)
//! and an "xl" one sized so that its Secret payload is just under the 1 MiB Secret limit.
//!
//! Each row alternates 1-thread and 2-thread batches of about 0.2 s, five of each (at least
//! 1 s per thread count), and reports the fastest batch of each. The `other load` column is the
//! CPU time other processes used meanwhile (from `/proc/stat`); a row with more than ~0.1 of
//! it, the 2-thread column above all, is disturbed; `--retry-busy=N` measures such a row again
//! up to N times and keeps the least disturbed attempt. A pure integer loop measured the same way
//! first shows how well the machine itself scales to 2 threads.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) every measurement does a single
//! iteration on the small and medium records only, as a smoke test.
//!
//! MB are 10^6 bytes of *decompressed release JSON*, whatever the measurement reads.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Read as _;
use std::time::{Duration, Instant};

use helm_why_release::builder::{ReleaseBuilder, list};
use helm_why_release::{HookEvent, Limits, RecordRef, Status, codec, input, model, record};
use serde_json::{Value, json};

/// Kubernetes refuses a Secret whose data is over 1 MiB; Helm's payload is that data.
const SECRET_LIMIT: usize = 1024 * 1024;

/// Helm's default `--history-max`: the number of revisions a `v1 List` holds.
const HISTORY: u64 = 10;

/// Other load (in CPUs) above which a row is reported as disturbed.
const BUSY: f64 = 0.1;

/// The release name every generated record carries.
const RELEASE: &str = "shop";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    // `--retry-busy=N`: measure a row again, up to N more times, while other processes use
    // more than `BUSY` CPUs during it.
    let retries: u32 = args
        .iter()
        .find_map(|a| a.strip_prefix("--retry-busy="))
        .map_or(0, |n| n.parse().expect("--retry-busy=N takes a number"));
    let mode = if full {
        Mode {
            batch_time: Duration::from_millis(200),
            repeats: 5,
            calibrate: Duration::from_millis(150),
            history: HISTORY,
        }
    } else {
        Mode {
            batch_time: Duration::ZERO,
            repeats: 1,
            calibrate: Duration::ZERO,
            history: 2,
        }
    };
    let mut sizes = vec![
        Size::new("small", 1, 0),
        Size::new("medium", 12, 1),
        Size::new("large", 120, 1),
        Size::new("xl", 0, 1),
    ];
    if !full {
        sizes.retain(|s| s.name == "small" || s.name == "medium");
    }
    if !filters.is_empty() {
        sizes.retain(|s| filters.iter().any(|f| s.name.contains(f)));
    }

    println!(
        "helm-why-release decode throughput ({}; {} cores available)",
        if full {
            "full run"
        } else {
            "smoke run: 1 iteration, pass --bench for numbers"
        },
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!();

    let mut fixtures = Vec::new();
    for size in &mut sizes {
        if size.name == "xl" {
            size.components = xl_components();
        }
        let started = Instant::now();
        let fixture = Fixture::generate(size, mode.history);
        fixture.describe(started.elapsed());
        fixtures.push(fixture);
    }
    println!();

    let reference = Case {
        name: "integer loop",
        records: 1,
        json_bytes: 0,
        run: Box::new(spin),
    };
    let [one, two] = measure(&reference, &mode);
    println!(
        "machine reference: a pure integer loop runs {:.2}x as fast on 2 threads as on 1",
        two.records_per_sec / one.records_per_sec
    );
    println!();

    println!(
        "| size | measurement | 1 thread rec/s | 1 thread MB/s | 2 threads rec/s | 2 threads MB/s | 2T/1T | other load |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let mut worst_load = 0f64;
    for fixture in &fixtures {
        for case in fixture.cases() {
            let mut attempts = 0;
            let mut kept: Option<([Throughput; 2], Option<f64>)> = None;
            loop {
                let before = CpuSample::now();
                let result = measure(&case, &mode);
                let load = before.and_then(|b| b.others_since());
                attempts += 1;
                // Keep the attempt least disturbed by other processes.
                if kept.as_ref().is_none_or(|(_, kept_load)| {
                    load.unwrap_or(f64::INFINITY) < kept_load.unwrap_or(f64::INFINITY)
                }) {
                    kept = Some((result, load));
                }
                if load.is_none_or(|l| l <= BUSY) || attempts > retries {
                    break;
                }
            }
            let Some(([one, two], load)) = kept else {
                unreachable!("the loop measures at least once");
            };
            worst_load = worst_load.max(load.unwrap_or(0.0));
            println!(
                "| {} | {} | {} | {:.0} | {} | {:.0} | {:.2} | {} |",
                fixture.name,
                case.name,
                rate(one.records_per_sec),
                one.mb_per_sec,
                rate(two.records_per_sec),
                two.mb_per_sec,
                two.records_per_sec / one.records_per_sec,
                load.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}")),
            );
        }
    }
    println!();
    if full {
        println!(
            "other load: CPUs used by other processes during the row (from /proc/stat); \
         above ~0.1 the row, and the 2-thread column most, is not trustworthy"
        );
    }
    if worst_load > BUSY {
        println!("WARNING: the machine was busy (up to {worst_load:.2} CPUs of other load)");
    }
    match peak_rss() {
        Some(kib) => println!(
            "peak resident memory (VmHWM): {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("peak resident memory: unavailable (/proc/self/status has no VmHWM)"),
    }
}

/// How long to measure.
struct Mode {
    /// How long one batch lasts (wall clock).
    batch_time: Duration,
    /// Batches per thread count; the fastest is reported.
    repeats: u32,
    /// How long the single-thread calibration run lasts.
    calibrate: Duration,
    /// Revisions in the `v1 List` read by `input::read_input`.
    history: u64,
}

/// One record size.
struct Size {
    name: &'static str,
    /// Components of the chart; each renders 5 documents.
    components: usize,
    /// Hook Jobs (a pre-upgrade migration).
    hooks: usize,
}

impl Size {
    fn new(name: &'static str, components: usize, hooks: usize) -> Self {
        Size {
            name,
            components,
            hooks,
        }
    }
}

/// The bytes of one size, in every shape a measurement reads.
struct Fixture {
    name: &'static str,
    documents: usize,
    /// The release JSON.
    json: Vec<u8>,
    /// `gzip(json)`: Helm's compressed bytes.
    gzip: Vec<u8>,
    /// `base64(gzip(json))`: what Helm stores (the Secret's data before the API's base64).
    payload_len: usize,
    /// `base64(base64(gzip(json)))`: `data.release` as `kubectl get secret -o json` prints it.
    api_payload: Vec<u8>,
    /// A `v1 List` of `history` Secrets (revisions 1..=history) as `kubectl get -o json` prints it.
    list_json: Vec<u8>,
    /// Sum of the release JSON sizes of the List's records.
    list_json_bytes: usize,
    list_records: usize,
}

impl Fixture {
    fn generate(size: &Size, history: u64) -> Fixture {
        let mut secrets = Vec::new();
        let mut list_json_bytes = 0;
        let mut newest = None;
        for revision in 1..=history {
            let builder = release(size, revision, history);
            let secret = builder.secret();
            list_json_bytes += builder.to_json().len();
            secrets.push(secret);
            newest = Some(builder);
        }
        let newest = newest.expect("history is at least 1");
        let json = newest.to_json();
        let payload = newest.payload();
        let gzip = codec::decode_base64(payload.as_bytes()).expect("the builder writes base64");
        let api_payload = codec::encode_base64(payload.as_bytes()).into_bytes();
        let list_json = serde_json::to_vec(&list(secrets)).expect("a Value always serializes");

        // The bytes must decode to what was built, or the numbers mean nothing.
        let limits = Limits::default();
        let decoded = record::decode_record(&api_payload, meta(), &limits)
            .expect("the generated record decodes");
        assert_eq!(decoded.meta.base64_layers, 2);
        assert!(
            decoded.release == newest.build(),
            "{}: round trip",
            size.name
        );
        let out = input::read_input(&list_json, "list.json", &limits);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(out.records.len(), secrets_len(history));

        Fixture {
            name: size.name,
            documents: newest.build().manifest.matches("\n# Source: ").count()
                + newest.build().hooks.len(),
            json,
            gzip,
            payload_len: payload.len(),
            api_payload,
            list_json,
            list_json_bytes,
            list_records: secrets_len(history),
        }
    }

    fn describe(&self, took: Duration) {
        println!(
            "{:<6}  {:>4} docs  JSON {:>9} B  gzip {:>8} B ({:.1}x)  Secret data {:>8} B ({:.0}% of 1 MiB)  \
             List of {} Secrets {:>9} B  (generated in {:.1} s)",
            self.name,
            self.documents,
            self.json.len(),
            self.gzip.len(),
            self.json.len() as f64 / self.gzip.len() as f64,
            self.payload_len,
            100.0 * self.payload_len as f64 / SECRET_LIMIT as f64,
            self.list_records,
            self.list_json.len(),
            took.as_secs_f64(),
        );
    }

    /// A measurement that decodes this fixture's newest revision once per call.
    fn single<'a>(&'a self, name: &'static str, run: Box<dyn Fn() + Sync + 'a>) -> Case<'a> {
        Case {
            name,
            records: 1,
            json_bytes: self.json.len(),
            run,
        }
    }

    fn cases(&self) -> Vec<Case<'_>> {
        // Benchmarks decode the same records over and over: no run budget.
        let limits = Limits::default().with_run_budget(usize::MAX);
        let (l1, l2, l3) = (limits.clone(), limits.clone(), limits);
        let one = |name, run| self.single(name, run);
        vec![
            one(
                "`record::decode_record` (2x base64, gunzip, JSON -> Release)",
                Box::new(move || {
                    let r = record::decode_record(black_box(&self.api_payload), meta(), &l1);
                    black_box(r.expect("decodes"));
                }),
            ),
            one(
                "`codec::peel` (2x base64, gunzip)",
                Box::new(move || {
                    let p = codec::peel(black_box(&self.api_payload), &l2);
                    black_box(p.expect("peels"));
                }),
            ),
            one(
                "2x `codec::decode_base64` only",
                Box::new(move || {
                    let inner = codec::decode_base64(black_box(&self.api_payload)).expect("base64");
                    black_box(codec::decode_base64(&inner).expect("base64"));
                }),
            ),
            one(
                "raw gunzip only (flate2, exact-size buffer)",
                Box::new(move || {
                    black_box(gunzip(black_box(&self.gzip), self.json.len()));
                }),
            ),
            one(
                "`model::parse_release_json` only",
                Box::new(move || {
                    let r = model::parse_release_json(black_box(&self.json));
                    black_box(r.expect("parses"));
                }),
            ),
            Case {
                name: "`input::read_input` of a v1 List of Secrets",
                records: self.list_records,
                json_bytes: self.list_json_bytes,
                run: Box::new(move || {
                    let out = input::read_input(black_box(&self.list_json), "list.json", &l3);
                    assert_eq!(out.records.len(), self.list_records);
                    black_box(out);
                }),
            },
        ]
    }
}

fn secrets_len(history: u64) -> usize {
    usize::try_from(history).expect("a small number")
}

fn meta() -> record::RecordMeta {
    record::RecordMeta::raw(RecordRef::file("bench"))
}

/// Raw gzip decompression into a buffer of the exact size: the floor every decode pays.
fn gunzip(gz: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    flate2::bufread::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

/// One measurement: `run` decodes `records` records holding `json_bytes` bytes of JSON.
struct Case<'a> {
    name: &'static str,
    records: usize,
    json_bytes: usize,
    run: Box<dyn Fn() + Sync + 'a>,
}

struct Throughput {
    records_per_sec: f64,
    mb_per_sec: f64,
}

/// Run `case` on 1 and on 2 workers, each worker doing its share of a batch.
///
/// The two thread counts alternate for `mode.repeats` rounds of about `mode.batch_time` each,
/// and the fastest batch of each is kept: on a shared machine that is the one least disturbed
/// by other processes.
fn measure(case: &Case<'_>, mode: &Mode) -> [Throughput; 2] {
    // Calibrate on one thread (this also warms caches and the allocator).
    let started = Instant::now();
    let mut calls = 0u64;
    loop {
        (case.run)();
        calls += 1;
        if started.elapsed() >= mode.calibrate {
            break;
        }
    }
    let per_call = started.elapsed().as_secs_f64() / calls as f64;
    // Size each batch as if the threads scaled perfectly; never fewer than one call per thread.
    let batch = |threads: usize| {
        let wanted = (mode.batch_time.as_secs_f64() * threads as f64 / per_call).ceil() as usize;
        wanted.max(threads)
    };
    let batches = [batch(1), batch(2)];
    let mut best = [f64::INFINITY; 2];
    for _ in 0..mode.repeats {
        for (slot, threads) in [1usize, 2].into_iter().enumerate() {
            let calls = batches[slot];
            let started = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..threads {
                    let share = calls / threads + usize::from(t < calls % threads);
                    scope.spawn(move || {
                        for _ in 0..share {
                            (case.run)();
                        }
                    });
                }
            });
            best[slot] = best[slot].min(started.elapsed().as_secs_f64());
        }
    }
    [0, 1].map(|slot| Throughput {
        records_per_sec: (batches[slot] * case.records) as f64 / best[slot],
        mb_per_sec: (batches[slot] * case.json_bytes) as f64 / best[slot] / 1e6,
    })
}

/// A pure integer loop (no memory traffic): how much faster 2 threads can be than 1 at all.
fn spin() {
    let mut x = black_box(1u64);
    for _ in 0..100_000 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    black_box(x);
}

/// A rate with 3 significant digits and a thousands separator.
fn rate(per_sec: f64) -> String {
    let rounded = if per_sec >= 1000.0 {
        let digits = per_sec.log10().floor() as i32;
        let unit = 10f64.powi(digits - 2);
        (per_sec / unit).round() * unit
    } else if per_sec >= 100.0 {
        per_sec.round()
    } else {
        return format!("{per_sec:.1}");
    };
    let text = format!("{rounded:.0}");
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// CPU time of the whole machine and of this process at one instant (Linux `/proc`).
struct CpuSample {
    at: Instant,
    /// Busy ticks of all CPUs (user, nice, system, irq, softirq, steal).
    busy: u64,
    /// User and system ticks of this process, all threads included.
    own: u64,
}

impl CpuSample {
    fn now() -> Option<CpuSample> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let ticks: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|t| t.parse().ok())
            .collect::<Option<_>>()?;
        let busy = [0, 1, 2, 5, 6, 7]
            .iter()
            .filter_map(|&i| ticks.get(i))
            .sum();
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which may contain spaces: utime and stime are the
        // 14th and 15th fields of the line, the 12th and 13th after `) `.
        let after = own_stat.rsplit_once(')')?.1;
        let mut fields = after.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(CpuSample {
            at: Instant::now(),
            busy,
            own: utime + stime,
        })
    }

    /// The average number of CPUs other processes kept busy since this sample. Both files
    /// count in USER_HZ ticks (1/100 s on every Linux architecture that matters here).
    fn others_since(&self) -> Option<f64> {
        let now = CpuSample::now()?;
        let secs = now.at.duration_since(self.at).as_secs_f64();
        if secs < 0.5 {
            // A few ticks of 10 ms say nothing.
            return None;
        }
        let others =
            now.busy.saturating_sub(self.busy) as f64 - now.own.saturating_sub(self.own) as f64;
        Some((others / 100.0 / secs).max(0.0))
    }
}

/// Peak resident set size in KiB, from `/proc/self/status` (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// --- record generation ------------------------------------------------------------------

/// Knuth's MMIX LCG: deterministic, fast, good enough for content that must not compress
/// unrealistically well (digests, checksums, generated values).
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Self {
        let mut lcg = Lcg(seed ^ 0x9e37_79b9_7f4a_7c15);
        lcg.next();
        lcg
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: [&str; 16] = [
    "api",
    "web",
    "worker",
    "billing",
    "search",
    "auth",
    "cart",
    "orders",
    "notify",
    "report",
    "catalog",
    "payments",
    "gateway",
    "inventory",
    "ledger",
    "media",
];

fn component_name(i: usize) -> String {
    let word = WORDS[i % WORDS.len()];
    match i / WORDS.len() {
        0 => word.to_owned(),
        n => format!("{word}-{n}"),
    }
}

/// Components for a record whose Helm payload fills about 90% of a Secret's 1 MiB, scaled
/// from the payload size of a 120-component revision.
fn xl_components() -> usize {
    const PROBE: usize = 120;
    let payload = release(&Size::new("probe", PROBE, 1), 1, 1).payload().len();
    (SECRET_LIMIT as f64 * PROBE as f64 / payload as f64) as usize
}

/// One revision of the release: `size.components` components of 5 documents each.
fn release(size: &Size, revision: u64, history: u64) -> ReleaseBuilder {
    let chart_version = format!("3.{}.0", revision);
    let chart = format!("platform-{chart_version}");
    let mut b = ReleaseBuilder::new(RELEASE, "prod", revision)
        .chart("platform", &chart_version)
        .app_version(&format!("2.{revision}.1"));
    if revision < history {
        b = b.status(Status::Superseded, "Upgrade complete");
    }
    if size.components > 1 {
        for (name, text) in TEMPLATES {
            b = b.template(name, text);
        }
    } else {
        b = b.template("templates/deployment.yaml", TEMPLATES[0].1);
    }
    let mut values = serde_json::Map::new();
    let mut config = serde_json::Map::new();
    for i in 0..size.components {
        let comp = component_name(i);
        let mut rng = Lcg::new((i as u64) << 16 | revision);
        let port = 8000 + rng.below(1000);
        let replicas = 1 + rng.below(4);
        let ctx = Ctx {
            comp: &comp,
            chart: &chart,
            revision,
            port,
            replicas,
        };
        b = b
            .manifest_doc(
                "platform/templates/serviceaccount.yaml",
                &service_account(&ctx),
            )
            .manifest_doc(
                "platform/templates/configmap.yaml",
                &config_map(&ctx, &mut rng),
            )
            .manifest_doc("platform/templates/service.yaml", &service(&ctx))
            .manifest_doc(
                "platform/templates/deployment.yaml",
                &deployment(&ctx, &mut rng),
            )
            .manifest_doc("platform/templates/hpa.yaml", &hpa(&ctx, &mut rng));
        values.insert(
            comp.clone(),
            json!({
                "enabled": true,
                "replicaCount": replicas,
                "image": {"repository": format!("registry.example.com/platform/{comp}"), "tag": "", "pullPolicy": "IfNotPresent"},
                "service": {"type": "ClusterIP", "port": port},
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                "autoscaling": {"enabled": true, "minReplicas": replicas, "maxReplicas": replicas * 4, "targetCPUUtilizationPercentage": 75},
                "config": {"logLevel": "info", "poolSize": 10 + rng.below(40), "featureFlags": [rng.pick(&FLAGS), rng.pick(&FLAGS)]},
            }),
        );
        if i % 3 == 0 {
            config.insert(
                comp.clone(),
                json!({"image": {"tag": format!("2.{revision}.{}", rng.below(20))}, "replicaCount": replicas}),
            );
        }
    }
    values.insert(
        "global".into(),
        json!({"imageRegistry": "registry.example.com", "environment": "prod", "domain": "shop.example.com"}),
    );
    b = b
        .chart_values(Value::Object(values))
        .config(Value::Object(config));
    for h in 0..size.hooks {
        b = b.hook(
            "platform/templates/migrate-job.yaml",
            &migrate_job(h, &chart),
        );
    }
    if size.hooks > 0 {
        b = b.hooks_ran_for(&[HookEvent::PreUpgrade]);
    }
    b
}

const FLAGS: [&str; 6] = [
    "new-checkout",
    "fast-search",
    "dark-mode",
    "async-billing",
    "v2-api",
    "edge-cache",
];

struct Ctx<'a> {
    comp: &'a str,
    chart: &'a str,
    revision: u64,
    port: u64,
    replicas: u64,
}

impl Ctx<'_> {
    fn labels(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        format!(
            "{pad}app.kubernetes.io/name: {comp}\n{pad}app.kubernetes.io/instance: {RELEASE}\n\
             {pad}app.kubernetes.io/version: \"2.{rev}.1\"\n{pad}app.kubernetes.io/managed-by: Helm\n\
             {pad}helm.sh/chart: {chart}",
            comp = self.comp,
            rev = self.revision,
            chart = self.chart,
        )
    }

    fn metadata(&self) -> String {
        format!(
            "metadata:\n  name: {RELEASE}-{}\n  labels:\n{}",
            self.comp,
            self.labels(4)
        )
    }
}

fn service_account(c: &Ctx<'_>) -> String {
    format!(
        "apiVersion: v1\nkind: ServiceAccount\n{}\nautomountServiceAccountToken: false\n",
        c.metadata()
    )
}

fn service(c: &Ctx<'_>) -> String {
    format!(
        "apiVersion: v1\nkind: Service\n{meta}\nspec:\n  type: ClusterIP\n  ports:\n    - port: {port}\n      \
         targetPort: http\n      protocol: TCP\n      name: http\n    - port: 9090\n      targetPort: metrics\n      \
         protocol: TCP\n      name: metrics\n  selector:\n    app.kubernetes.io/name: {comp}\n    \
         app.kubernetes.io/instance: {RELEASE}\n",
        meta = c.metadata(),
        port = c.port,
        comp = c.comp,
    )
}

fn config_map(c: &Ctx<'_>, rng: &mut Lcg) -> String {
    let mut props = String::new();
    for key in [
        "server.shutdown.grace",
        "db.pool.max",
        "db.pool.idle-timeout",
        "http.client.timeout",
        "cache.ttl",
        "cache.max-entries",
        "retry.max-attempts",
        "retry.backoff",
    ] {
        let _ = write!(props, "\n    {key}={}", rng.below(10_000));
    }
    let _ = write!(
        props,
        "\n    db.url=jdbc:postgresql://{}-db.prod.svc:5432/{}\n    feature.flags={},{}\n    build.sha={}",
        c.comp,
        c.comp.replace('-', "_"),
        rng.pick(&FLAGS),
        rng.pick(&FLAGS),
        rng.hex(40)
    );
    format!(
        "apiVersion: v1\nkind: ConfigMap\n{meta}\ndata:\n  app.properties: |{props}\n  logback.xml: |\n    \
         <configuration>\n      <appender name=\"JSON\" class=\"ch.qos.logback.core.ConsoleAppender\">\n        \
         <encoder class=\"net.logstash.logback.encoder.LogstashEncoder\"/>\n      </appender>\n      \
         <logger name=\"com.example.{comp}\" level=\"INFO\"/>\n      <root level=\"WARN\">\n        \
         <appender-ref ref=\"JSON\"/>\n      </root>\n    </configuration>\n",
        meta = c.metadata(),
        comp = c.comp,
    )
}

fn deployment(c: &Ctx<'_>, rng: &mut Lcg) -> String {
    let mut env = String::new();
    for (name, value) in [
        ("APP_ENV", "prod".to_owned()),
        ("APP_NAME", c.comp.to_owned()),
        (
            "JAVA_OPTS",
            format!("-Xmx{}m -XX:+UseG1GC", 256 + rng.below(768)),
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://otel-collector.observability:4317".to_owned(),
        ),
        ("OTEL_SERVICE_NAME", format!("{RELEASE}-{}", c.comp)),
        ("REQUEST_ID", rng.hex(16)),
    ] {
        let _ = write!(
            env,
            "\n            - name: {name}\n              value: \"{value}\""
        );
    }
    format!(
        "apiVersion: apps/v1\nkind: Deployment\n{meta}\nspec:\n  replicas: {replicas}\n  revisionHistoryLimit: 10\n  \
         selector:\n    matchLabels:\n      app.kubernetes.io/name: {comp}\n      app.kubernetes.io/instance: {RELEASE}\n  \
         strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0\n  \
         template:\n    metadata:\n      annotations:\n        checksum/config: {checksum}\n        \
         prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"9090\"\n      labels:\n{labels}\n    spec:\n      \
         serviceAccountName: {RELEASE}-{comp}\n      securityContext:\n        runAsNonRoot: true\n        \
         runAsUser: 10001\n        fsGroup: 10001\n      containers:\n        - name: {comp}\n          \
         image: \"registry.example.com/platform/{comp}:2.{rev}.1@sha256:{digest}\"\n          \
         imagePullPolicy: IfNotPresent\n          args:\n            - --config=/etc/{comp}/app.properties\n            \
         - --log-level=info\n          ports:\n            - name: http\n              containerPort: {port}\n              \
         protocol: TCP\n            - name: metrics\n              containerPort: 9090\n              protocol: TCP\n          \
         env:{env}\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  \
         name: {RELEASE}-{comp}-db\n                  key: password\n          resources:\n            requests:\n              \
         cpu: 100m\n              memory: 256Mi\n            limits:\n              memory: 512Mi\n          \
         livenessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            \
         initialDelaySeconds: 10\n            periodSeconds: 10\n          readinessProbe:\n            httpGet:\n              \
         path: /ready\n              port: http\n            periodSeconds: 5\n          volumeMounts:\n            \
         - name: config\n              mountPath: /etc/{comp}\n              readOnly: true\n      volumes:\n        \
         - name: config\n          configMap:\n            name: {RELEASE}-{comp}\n",
        meta = c.metadata(),
        replicas = c.replicas,
        comp = c.comp,
        checksum = rng.hex(64),
        labels = c.labels(8),
        rev = c.revision,
        digest = rng.hex(64),
        port = c.port,
    )
}

fn hpa(c: &Ctx<'_>, rng: &mut Lcg) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n{meta}\nspec:\n  scaleTargetRef:\n    \
         apiVersion: apps/v1\n    kind: Deployment\n    name: {RELEASE}-{comp}\n  minReplicas: {min}\n  \
         maxReplicas: {max}\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          \
         type: Utilization\n          averageUtilization: {cpu}\n",
        meta = c.metadata(),
        comp = c.comp,
        min = c.replicas,
        max = c.replicas * 4,
        cpu = 50 + rng.below(40),
    )
}

fn migrate_job(i: usize, chart: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {RELEASE}-migrate-{i}\n  labels:\n    \
         helm.sh/chart: {chart}\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    \
         helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n\
         spec:\n  backoffLimit: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        \
         - name: migrate\n          image: registry.example.com/platform/migrate:1.4.0\n          \
         args: [\"--target=latest\", \"--lock-timeout=60s\"]\n"
    )
}

/// The chart's template sources, stored base64-encoded in every record.
const TEMPLATES: [(&str, &str); 6] = [
    (
        "templates/deployment.yaml",
        r#"{{- range $name, $c := .Values }}
{{- if and (kindIs "map" $c) $c.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
  labels:
    {{- include "platform.labels" (dict "ctx" $ "name" $name) | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "platform.selectorLabels" (dict "ctx" $ "name" $name) | nindent 6 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
      labels:
        {{- include "platform.labels" (dict "ctx" $ "name" $name) | nindent 8 }}
    spec:
      serviceAccountName: {{ $.Release.Name }}-{{ $name }}
      containers:
        - name: {{ $name }}
          image: "{{ $c.image.repository }}:{{ $c.image.tag | default $.Chart.AppVersion }}"
          imagePullPolicy: {{ $c.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $c.service.port }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
---
{{- end }}
{{- end }}
"#,
    ),
    (
        "templates/service.yaml",
        r#"{{- range $name, $c := .Values }}
{{- if and (kindIs "map" $c) $c.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
spec:
  type: {{ $c.service.type }}
  ports:
    - port: {{ $c.service.port }}
      targetPort: http
  selector:
    {{- include "platform.selectorLabels" (dict "ctx" $ "name" $name) | nindent 4 }}
---
{{- end }}
{{- end }}
"#,
    ),
    (
        "templates/configmap.yaml",
        r#"{{- range $name, $c := .Values }}
{{- if and (kindIs "map" $c) $c.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
data:
  app.properties: |
    {{- tpl ($.Files.Get (printf "files/%s.properties" $name)) $ | nindent 4 }}
  logback.xml: |
    {{- $.Files.Get "files/logback.xml" | nindent 4 }}
---
{{- end }}
{{- end }}
"#,
    ),
    (
        "templates/hpa.yaml",
        r#"{{- range $name, $c := .Values }}
{{- if and (kindIs "map" $c) $c.enabled $c.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
spec:
  minReplicas: {{ $c.autoscaling.minReplicas }}
  maxReplicas: {{ $c.autoscaling.maxReplicas }}
---
{{- end }}
{{- end }}
"#,
    ),
    (
        "templates/migrate-job.yaml",
        r#"apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate-0
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example.com/platform/migrate:1.4.0
"#,
    ),
    (
        "templates/_helpers.tpl",
        r#"{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{- define "platform.labels" -}}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end }}
"#,
    ),
];
