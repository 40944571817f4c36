//! YAML parsers compared on the manifests Helm writes (docs/performance.md, "YAML parsers"):
//! speed into a `serde_json::Value` (what `manifest::parse_yaml` returns), and what each makes
//! of the YAML details charts use.
//!
//! ```text
//! cargo bench -p helm-why-release --bench yaml
//! ```
//!
//! Candidates: `parse_yaml` as helm-why runs it (the fast reader of `fast_yaml`, serde-saphyr for
//! what it declines), serde-saphyr alone (with `manifest.rs`'s options), serde_yaml_ng (over
//! unsafe-libyaml, a Rust translation of libyaml), yaml-rust2 and saphyr (whose trees are
//! converted to `serde_json::Value` here, the cost of that included). The documents are
//! Deployments, Services and ConfigMaps as the questions benchmark writes them (generated, fixed
//! content). Every exactness case runs in a child process (this binary, `--case N PARSER`), so
//! that a parser that overflows its stack on deep nesting shows as "crashed" instead of
//! stopping the comparison; a case that takes over 10 s is reported as such and killed.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it parses a few documents with
//! each parser and runs no case, as a smoke test.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Number, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--case") {
        return case_child(&args[1..]);
    }
    let full = args.iter().any(|a| a == "--bench");
    let docs = corpus(if full { 3_000 } else { 6 });
    let bytes: usize = docs.iter().map(String::len).sum();
    println!(
        "{} documents, {:.2} MB of YAML (Deployments, Services, ConfigMaps)\n",
        docs.len(),
        bytes as f64 / 1e6
    );
    println!("| parser | MB/s (1 thread, best of 5) |");
    println!("|---|---:|");
    for parser in PARSERS {
        // Every parser must read the corpus the way serde-saphyr does, or its speed is moot.
        let reference: Vec<Value> = docs.iter().map(|d| parse(Parser::SerdeSaphyr, d)).collect();
        let mut same = true;
        let mut best = Duration::MAX;
        for _ in 0..if full { 5 } else { 1 } {
            let start = Instant::now();
            for (doc, want) in docs.iter().zip(&reference) {
                let got = parse(*parser, doc);
                same &= got == *want;
            }
            best = best.min(start.elapsed());
        }
        println!(
            "| {}{} | {:.1} |",
            parser.name(),
            if same {
                ""
            } else {
                " (reads the corpus differently!)"
            },
            bytes as f64 / 1e6 / best.as_secs_f64()
        );
    }
    if !full {
        return;
    }
    println!();
    let mut header = String::from("| case |");
    let mut rule = String::from("|---|");
    for parser in PARSERS {
        let _ = write!(header, " {} |", parser.name());
        rule.push_str("---|");
    }
    println!("{header}\n{rule}");
    let me = std::env::current_exe().expect("own path");
    for (i, (name, _)) in CASES.iter().enumerate() {
        let mut line = format!("| {name} |");
        for parser in PARSERS {
            let _ = write!(line, " {} |", run_case(&me, i, *parser));
        }
        println!("{line}");
    }
}

// --- Parsers ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Parser {
    ParseYaml,
    SerdeSaphyr,
    SerdeYamlNg,
    YamlRust2,
    Saphyr,
}

const PARSERS: &[Parser] = &[
    Parser::ParseYaml,
    Parser::SerdeSaphyr,
    Parser::SerdeYamlNg,
    Parser::YamlRust2,
    Parser::Saphyr,
];

impl Parser {
    fn name(self) -> &'static str {
        match self {
            Parser::ParseYaml => "parse_yaml: fast_yaml, serde-saphyr for what it declines",
            Parser::SerdeSaphyr => "serde-saphyr 2.1 (manifest.rs options)",
            Parser::SerdeYamlNg => "serde_yaml_ng 0.10 (unsafe-libyaml)",
            Parser::YamlRust2 => "yaml-rust2 0.10",
            Parser::Saphyr => "saphyr 0.3",
        }
    }

    fn from_name(name: &str) -> Parser {
        *PARSERS
            .iter()
            .find(|p| format!("{p:?}") == name)
            .expect("a parser name")
    }
}

/// One document into a JSON value (`Value::String("error: …")` when the parser refuses it).
fn parse(parser: Parser, text: &str) -> Value {
    let result: Result<Value, String> = match parser {
        Parser::ParseYaml => helm_why_release::manifest::parse_yaml(text),
        Parser::SerdeSaphyr => helm_why_release::manifest::parse_yaml_general(text),
        Parser::SerdeYamlNg => serde_yaml_ng::from_str(text).map_err(|e| e.to_string()),
        Parser::YamlRust2 => yaml_rust2::YamlLoader::load_from_str(text)
            .map_err(|e| e.to_string())
            .map(|docs| docs.first().map_or(Value::Null, from_yaml_rust2)),
        Parser::Saphyr => {
            use saphyr::LoadableYamlNode as _;
            saphyr::Yaml::load_from_str(text)
                .map_err(|e| e.to_string())
                .map(|docs| docs.first().map_or(Value::Null, from_saphyr))
        }
    };
    result.unwrap_or_else(|e| Value::String(format!("error: {}", first_line(&e))))
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    line.chars().take(60).collect()
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number)
}

/// A mapping key as JSON text (non-string keys printed, as serde_json would refuse them).
fn key_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn from_yaml_rust2(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s.parse::<f64>().map_or(Value::String(s.clone()), float),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(from_yaml_rust2).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (key_text(from_yaml_rust2(k)), from_yaml_rust2(v)))
                .collect::<Map<_, _>>(),
        ),
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn from_saphyr(y: &saphyr::Yaml<'_>) -> Value {
    use saphyr::{Scalar, Yaml};
    match y {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => Value::Number((*i).into()),
        Yaml::Value(Scalar::FloatingPoint(f)) => float(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Representation(s, _, _) => Value::String(s.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(from_saphyr).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (key_text(from_saphyr(k)), from_saphyr(v)))
                .collect::<Map<_, _>>(),
        ),
        Yaml::Tagged(_, inner) => from_saphyr(inner),
        Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

// --- The corpus ------------------------------------------------------------------------------

/// A deterministic pseudo-random sequence (an LCG), so every run parses the same bytes.
struct Lcg(u64);

impl Lcg {
    fn word(&mut self) -> String {
        const SYL: [&str; 12] = [
            "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "ba", "do",
        ];
        (0..3)
            .map(|_| {
                self.0 = self
                    .0
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                SYL[((self.0 >> 33) % 12) as usize]
            })
            .collect()
    }
}

/// Documents as the questions benchmark's charts render them.
fn corpus(n: usize) -> Vec<String> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|i| {
            let name = format!("app-o{i}");
            match i % 3 {
                0 => format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {name}\n    app.kubernetes.io/managed-by: Helm\n    helm.sh/chart: app-1.0.{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {name}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.{i}.0\n        ports:\n        - containerPort: 8080\n          name: http\n        env:\n        - name: MODE\n          value: {}\n        - name: REGION\n          value: {}\n        resources:\n          limits:\n            cpu: 500m\n            memory: 256Mi\n          requests:\n            cpu: 100m\n            memory: 128Mi\n        readinessProbe:\n          httpGet:\n            path: /healthz\n            port: http\n",
                    rng.word(),
                    rng.word()
                ),
                1 => format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {name}\nspec:\n  type: ClusterIP\n  ports:\n  - port: 80\n    targetPort: http\n    protocol: TCP\n    name: http\n  selector:\n    app.kubernetes.io/name: {name}\n"
                ),
                _ => {
                    let mut s = format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  generation: \"{i}\"\n  app.properties: |\n"
                    );
                    for _ in 0..12 {
                        let _ = writeln!(s, "    {}.{} = {}", rng.word(), rng.word(), rng.word());
                    }
                    s
                }
            }
        })
        .collect()
}

// --- Exactness cases -------------------------------------------------------------------------

/// A case: its name, and the document; the value of key `v` (or the error) is what the
/// table shows.
type Case = (&'static str, fn() -> String);

const CASES: &[Case] = &[
    ("anchor and alias", || "a: &x {k: 1}\nv: *x\n".into()),
    ("merge key `<<`", || {
        "base: &b {k: 1, j: 2}\nv:\n  <<: *b\n  j: 3\n".into()
    }),
    ("block `|` (clip)", || "v: |\n  one\n  two\n\n".into()),
    ("block `|-` (strip)", || "v: |-\n  one\n  two\n\n".into()),
    ("block `|+` (keep)", || "v: |+\n  one\n  two\n\n".into()),
    ("folded `>`", || "v: >\n  one\n  two\n\n  three\n".into()),
    ("`yes`", || "v: yes\n".into()),
    ("`off`", || "v: off\n".into()),
    ("`y`", || "v: y\n".into()),
    ("`True`", || "v: True\n".into()),
    ("`0755`", || "v: 0755\n".into()),
    ("`0o755`", || "v: 0o755\n".into()),
    ("`1e3`", || "v: 1e3\n".into()),
    ("`~`", || "v: ~\n".into()),
    ("`2024-01-02` (timestamp)", || "v: 2024-01-02\n".into()),
    ("duplicate key", || "v: 1\nv: 2\n".into()),
    ("nesting 100 deep", || {
        format!("v: {}1{}\n", "[".repeat(100), "]".repeat(100))
    }),
    ("nesting 100,000 deep", || {
        format!("v: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000))
    }),
    ("alias bomb (9^6 = 531,441 nodes from 250 bytes)", || {
        let mut doc = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 0..5 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            let refs = vec![format!("*{prev}"); 9].join(",");
            let _ = writeln!(doc, "l{i}: &l{i} [{refs}]");
        }
        doc.push_str("v: *l4\n");
        doc
    }),
];

/// `--case N PARSER`: print what the parser makes of case N, as one line.
fn case_child(args: &[String]) {
    let i: usize = args[0].parse().expect("a case number");
    let parser = Parser::from_name(&args[1]);
    let text = (CASES[i].1)();
    let start = Instant::now();
    let value = parse(parser, &text);
    let elapsed = start.elapsed();
    let shown = match &value {
        Value::String(s) if s.starts_with("error: ") => s.clone(),
        v => summary(v.get("v").unwrap_or(&Value::Null)),
    };
    let slow = if elapsed > Duration::from_millis(100) {
        format!(" ({} ms)", elapsed.as_millis())
    } else {
        String::new()
    };
    println!("{shown}{slow}");
}

/// A value in a table cell: JSON, or its size when it is big.
fn summary(v: &Value) -> String {
    let text = v.to_string();
    if text.len() <= 40 {
        return format!("`{}`", text.replace('|', "\\|"));
    }
    let mut nodes = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        nodes += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    format!("parsed ({nodes} nodes)")
}

fn run_case(me: &std::path::Path, i: usize, parser: Parser) -> String {
    let mut child = Command::new(me)
        .args(["--case", &i.to_string(), &format!("{parser:?}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run a case");
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let out = child
                    .wait_with_output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                    .unwrap_or_default();
                return if status.success() {
                    out
                } else {
                    "crashed (stack overflow?)".to_owned()
                };
            }
            Ok(None) if start.elapsed() > Duration::from_secs(10) => {
                let _ = child.kill();
                let _ = child.wait();
                return "still running after 10 s (killed)".to_owned();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return "could not run".to_owned(),
        }
    }
}
