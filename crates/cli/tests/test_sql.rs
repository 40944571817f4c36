//! The SQL storage driver against a real PostgreSQL: Debian's `postgresql` package, started by
//! the test in a temporary directory as a non-root user on a free local port. The schema is
//! Helm's own (made by the real Helm 3.17.3 CLI on first use) when `HELM_WHY_TEST_HELM` is set;
//! rows are written by the record builder, and the real Helm must read them as helm-why does.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use helm_why_release::Status;
use helm_why_release::builder::ReleaseBuilder;
use serde_json::Value;

/// PostgreSQL's server binaries: `HELM_WHY_TEST_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian's layout).
fn pg_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HELM_WHY_TEST_PG_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn helm() -> Option<PathBuf> {
    std::env::var_os("HELM_WHY_TEST_HELM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// A PostgreSQL server for one test, stopped when dropped.
struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Helm 3.17 checks that a Kubernetes API answers `/version` before it reads any storage.
    kubeconfig: PathBuf,
    /// `runuser -u nobody --` when the tests run as root (initdb refuses root).
    as_user: Option<String>,
}

impl Postgres {
    /// Start one, or `None` (after printing `skipped: …`) when PostgreSQL is not installed.
    fn start() -> Option<Postgres> {
        Postgres::start_with(false)
    }

    /// Start one; with `tls`, serving TLS with a certificate for `db.example` signed by the
    /// test CA `ca.pem` in its directory (see [`Postgres::ca`]).
    fn start_with(tls: bool) -> Option<Postgres> {
        let Some(bin) = pg_bin() else {
            testkube::skip::skipped(
                "PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)",
                testkube::skip::Provided::ByCi,
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_user = is_root().then(|| "nobody".to_owned());
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        if let Some(user) = &as_user {
            use std::os::unix::fs::PermissionsExt as _;
            let (uid, gid) = ids(user);
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, version_only_api()).unwrap();
        let pg = Postgres {
            bin,
            dir,
            port,
            kubeconfig,
            as_user,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let mut options = format!(
            "-p {} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
            pg.port
        );
        if tls {
            pg.make_certificates();
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={data}/server.pem -c ssl_key_file={data}/server.key"
            ));
        }
        let log = format!("{data}/log");
        pg.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
        Some(pg)
    }

    /// The test CA's certificate.
    fn ca(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    /// A CA and a server certificate for `db.example` (not 127.0.0.1), made with openssl.
    fn make_certificates(&self) {
        let dir = self.dir.path();
        let data = dir.join("data");
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=helm-why test CA",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=db.example",
                ],
            ]
            .concat(),
        );
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:db.example\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        for file in ["server.pem", "server.key"] {
            let to = data.join(file);
            std::fs::copy(dir.join(file), &to).unwrap();
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
            if let Some(user) = &self.as_user {
                let (uid, gid) = ids(user);
                std::os::unix::fs::chown(&to, Some(uid), Some(gid)).unwrap();
            }
        }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let out = match &self.as_user {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&exe)
                .args(args)
                .current_dir("/")
                .output(),
            None => Command::new(&exe).args(args).output(),
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The connection string of database `db`, as `HELM_DRIVER_SQL_CONNECTION_STRING`.
    fn url(&self, db: &str) -> String {
        format!(
            "postgresql://postgres:pw-not-needed@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Run SQL statements as the superuser (the test's writes; helm-why only reads).
    fn exec(&self, db: &str, sql: &str) {
        let url = self.url(db);
        let sql = sql.to_owned();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                let task = tokio::spawn(conn);
                client.batch_execute(&sql).await.unwrap();
                drop(client);
                let _ = task.await;
            });
    }

    /// Insert `row` (as `ReleaseBuilder::sql_row` makes it) into `releases_v1`.
    fn insert(&self, db: &str, row: &Value) {
        let text = |k: &str| {
            row[k]
                .as_str()
                .map(|s| s.replace('\'', "''"))
                .unwrap_or_default()
        };
        self.exec(
            db,
            &format!(
                "INSERT INTO releases_v1 (key, type, body, name, namespace, version, status, owner, createdAt) \
                 VALUES ('{}', '{}', '{}', '{}', '{}', {}, '{}', '{}', 0)",
                text("key"),
                text("type"),
                text("body"),
                text("name"),
                text("namespace"),
                row["version"],
                text("status"),
                text("owner"),
            ),
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
        let _ = match &self.as_user {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&exe)
                .args(args)
                .current_dir("/")
                .output(),
            None => Command::new(&exe).args(args).output(),
        };
    }
}

/// A kubeconfig for an API server that only answers `GET /version` (what Helm asks before it
/// reads storage; anything else gets 404, so Helm reading the cluster would show).
fn version_only_api() -> String {
    use std::io::{Read as _, Write as _};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if request.starts_with("GET /version") {
                (
                    "200 OK",
                    r#"{"major":"1","minor":"31","gitVersion":"v1.31.0"}"#,
                )
            } else {
                ("404 Not Found", r#"{"kind":"Status","code":404}"#)
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {{}}\n"
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn ids(user: &str) -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").args([flag, user]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

/// Helm's schema: made by the real Helm (its migrations run on first use), else the same
/// tables written here (columns, types and primary key of Helm's `init` migration).
fn helm_schema(pg: &Postgres, db: &str) -> &'static str {
    if let Some(helm) = helm() {
        let out = helm_cmd(&helm, pg, db, &["list", "-n", "shop"]);
        assert!(out.status.success(), "{out:?}");
        "helm"
    } else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM): Helm's schema is written by the test instead",
            testkube::skip::Provided::ByCi,
        );
        pg.exec(
            db,
            "CREATE TABLE releases_v1 (key VARCHAR(90), type VARCHAR(64) NOT NULL, body TEXT NOT NULL, \
             name VARCHAR(64) NOT NULL, namespace VARCHAR(64) NOT NULL, version INTEGER NOT NULL, \
             status TEXT NOT NULL, owner TEXT NOT NULL, createdAt INTEGER NOT NULL, \
             modifiedAt INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(key, namespace));",
        );
        "test"
    }
}

fn helm_cmd(helm: &Path, pg: &Postgres, db: &str, args: &[&str]) -> Output {
    Command::new(helm)
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("KUBECONFIG", &pg.kubeconfig)
        .env("HELM_DRIVER", "sql")
        .env("HELM_DRIVER_SQL_CONNECTION_STRING", pg.url(db))
        .args(args)
        .output()
        .unwrap()
}

/// Run helm-why with the SQL driver on database `db`; stdout, stderr and the exit code.
fn helm_why(pg: &Postgres, db: &str, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("COLUMNS", "100")
        .env("HELM_DRIVER", "sql")
        .env("HELM_DRIVER_SQL_CONNECTION_STRING", pg.url(db))
        .args(args)
        .output()
        .unwrap();
    let port = pg.port.to_string();
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace(&port, "<port>");
    (
        text(&out.stdout),
        text(&out.stderr),
        out.status.code().unwrap_or(-1),
    )
}

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  mode: blue";

fn web(rev: u64, last: u64) -> ReleaseBuilder {
    let b = ReleaseBuilder::new("web", "shop", rev)
        .chart("web", &format!("1.{rev}.0"))
        .app_version("2.0")
        .config(serde_json::json!({"replicas": rev}))
        .manifest_doc("web/templates/cm.yaml", CM);
    if rev < last {
        let description = if rev == 1 {
            "Install complete"
        } else {
            "Upgrade complete"
        };
        b.status(Status::Superseded, description)
    } else {
        b
    }
}

#[test]
fn sql_rows_are_read_as_helm_reads_them() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    let schema = helm_schema(&pg, "helm");
    for rev in 1..=3 {
        pg.insert("helm", &web(rev, 3).sql_row());
    }
    pg.insert("helm", &ReleaseBuilder::new("api", "other", 1).sql_row());

    let (list, err, code) = helm_why(&pg, "helm", &["list", "-n", "shop"]);
    assert_eq!((code, err.as_str()), (0, ""), "{list}");
    insta::assert_snapshot!(list, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
    web   shop       3         2026-01-01 00:00:03 UTC  deployed  web-1.3.0  2.0
    ");
    let (all, _, _) = helm_why(&pg, "helm", &["list", "-A"]);
    insta::assert_snapshot!(all, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS    CHART      APP VERSION
    api   other      1         2026-01-01 00:00:01 UTC  deployed  api-0.1.0
    web   shop       3         2026-01-01 00:00:03 UTC  deployed  web-1.3.0  2.0
    ");
    let (history, err, code) = helm_why(&pg, "helm", &["history", "web", "-n", "shop"]);
    assert_eq!((code, err.as_str()), (0, ""), "{history}");
    insta::assert_snapshot!(history, @"
    REVISION  UPDATED                  STATUS      CHART      CHANGE        DESCRIPTION
    1         2026-01-01 00:00:01 UTC  superseded  web-1.1.0  +1 (initial)  Install complete
    2         2026-01-01 00:00:02 UTC  superseded  web-1.2.0  none          Upgrade complete
    3         2026-01-01 00:00:03 UTC  deployed    web-1.3.0  none          Upgrade complete
    (-o wide adds HOOKS, OBJECTS, APP VERSION)
    ");
    let (values, _, _) = helm_why(&pg, "helm", &["get", "web", "values", "-n", "shop"]);
    insta::assert_snapshot!(values, @"
    USER-SUPPLIED VALUES:
    replicas: 3
    ");
    let (explain, _, code) = helm_why(
        &pg,
        "helm",
        &["explain", "web", "cm/web-config", "-n", "shop"],
    );
    assert_eq!(code, 0, "{explain}");
    // Not in namespace `default`, where helm-why looks without -n, like Helm.
    let (_, missing, code) = helm_why(&pg, "helm", &["history", "web"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(missing, @r#"
    helm-why: release "web" not found in namespace "default" of PostgreSQL database "helm" (127.0.0.1:<port>)
    hint: check --namespace and --context, or the files given to --from
    "#);

    // The real Helm reads the builder's rows identically.
    let Some(helm) = helm() else {
        testkube::skip::skipped(
            "no helm (set HELM_WHY_TEST_HELM; .ci/run fetches Helm 3.17.3): not cross-checked",
            testkube::skip::Provided::ByCi,
        );
        return;
    };
    assert_eq!(schema, "helm");
    let out = helm_cmd(
        &helm,
        &pg,
        "helm",
        &["history", "web", "-n", "shop", "-o", "json"],
    );
    assert!(out.status.success(), "{out:?}");
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let (ours, _, _) = helm_why(&pg, "helm", &["history", "web", "-n", "shop", "-o", "json"]);
    let ours: Value = serde_json::from_str(&ours).unwrap();
    let ours = ours["revisions"].as_array().unwrap();
    assert_eq!(theirs.len(), 3);
    assert_eq!(ours.len(), 3);
    for (t, o) in theirs.iter().zip(ours) {
        assert_eq!(t["revision"], o["revision"], "{t} / {o}");
        assert_eq!(t["status"], o["status"], "{t} / {o}");
        assert_eq!(t["chart"], o["chart"], "{t} / {o}");
        assert_eq!(t["app_version"], o["app_version"], "{t} / {o}");
        assert_eq!(t["description"], o["description"], "{t} / {o}");
    }
    for what in ["manifest", "values"] {
        let out = helm_cmd(
            &helm,
            &pg,
            "helm",
            &["get", what, "web", "-n", "shop", "--revision", "2"],
        );
        assert!(out.status.success(), "{out:?}");
        let (ours, _, _) = helm_why(
            &pg,
            "helm",
            &["get", "web", what, "-n", "shop", "--revision", "2"],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            ours.trim(),
            "get {what}"
        );
    }
    let out = helm_cmd(&helm, &pg, "helm", &["list", "-A", "-o", "json"]);
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(&str, &str, &str)> = theirs
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or(""),
                r["namespace"].as_str().unwrap_or(""),
                r["revision"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(names, [("api", "other", "1"), ("web", "shop", "3")]);
}

#[test]
fn bad_rows_are_warnings_naming_the_row() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    // A table not made by Helm: no primary key, so a key can repeat.
    pg.exec(
        "helm",
        "ALTER TABLE releases_v1 DROP CONSTRAINT releases_v1_pkey",
    );
    pg.insert("helm", &web(1, 3).sql_row());
    let mut v2 = web(2, 3).sql_row();
    v2["body"] = Value::String("bm90IGd6aXA=".into());
    pg.insert("helm", &v2);
    let mut v3 = web(3, 3).sql_row();
    v3["version"] = serde_json::json!(7);
    pg.insert("helm", &v3);
    pg.insert("helm", &web(1, 3).sql_row());
    let (history, err, code) = helm_why(&pg, "helm", &["history", "web", "-n", "shop"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(history, @"
    REVISION  UPDATED                  STATUS       CHART      APP VERSION  OBJECTS  HOOKS  CHANGE
    1         2026-01-01 00:00:01 UTC  superseded   web-1.1.0  2.0          1        0      +1 (initial)
    2         -                        undecodable  -          -            -        -      -
    3         2026-01-01 00:00:03 UTC  deployed     web-1.3.0  2.0          1        0      none (vs 1)

    DESCRIPTION:
      1: Install complete
      2: gzip: after 2 base64 layers the data is neither gzip (1f 8b 08) nor JSON
      3: Upgrade complete
    ");
    insta::assert_snapshot!(err, @r#"
    warning: 1 object is not a Helm release record and was ignored (a second row with key "sh.helm.release.v1.web.v1" in namespace "shop" (Helm's primary key forbids it): not read)
    warning: sh.helm.release.v1.web.v3: the column version says "7" but the payload says "3" (the payload is used, as Helm does)
    warning: revision 2 could not be decoded: sh.helm.release.v1.web.v2 (database "helm", table releases_v1): gzip: after 2 base64 layers the data is neither gzip (1f 8b 08) nor JSON
    "#);
}

#[test]
fn list_decodes_only_the_newest_rows_of_each_release() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    // web: an old revision's body is broken; api: its newest one is.
    for rev in 1..=3 {
        let mut row = web(rev, 3).sql_row();
        if rev == 2 {
            row["body"] = Value::String("bm90IGd6aXA=".into());
        }
        pg.insert("helm", &row);
    }
    pg.insert(
        "helm",
        &ReleaseBuilder::new("api", "shop", 1)
            .status(Status::Superseded, "Install complete")
            .sql_row(),
    );
    let mut api2 = ReleaseBuilder::new("api", "shop", 2).sql_row();
    api2["body"] = Value::String("bm90IGd6aXA=".into());
    pg.insert("helm", &api2);

    let (list, err, code) = helm_why(&pg, "helm", &["list", "-n", "shop"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(list, @"
    NAME  NAMESPACE  REVISION  UPDATED                  STATUS       CHART      APP VERSION
    api   shop       2                                  undecodable
    web   shop       3         2026-01-01 00:00:03 UTC  deployed     web-1.3.0  2.0
    ");
    insta::assert_snapshot!(err, @r#"warning: shop/api: revision 2 could not be decoded: sh.helm.release.v1.api.v2 (database "helm", table releases_v1): gzip: after 2 base64 layers the data is neither gzip (1f 8b 08) nor JSON"#);
    // Commands that read every revision still meet web's broken one.
    let (_, err, code) = helm_why(&pg, "helm", &["history", "web", "-n", "shop"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("revision 2 could not be decoded: sh.helm.release.v1.web.v2"),
        "{err}"
    );
}

/// Two releases of `shop` that both render ConfigMap `shared` (a `shared-object` hazard),
/// one release of `data`; `web` has an undecodable revision.
fn scanned_releases() -> Vec<ReleaseBuilder> {
    let shared = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  k: v";
    let api = |rev: u64| {
        ReleaseBuilder::new("api", "shop", rev)
            .chart("api", &format!("0.{rev}.0"))
            .manifest_doc("api/templates/shared.yaml", shared)
    };
    vec![
        web(1, 3),
        web(2, 3),
        web(3, 3).manifest_doc("web/templates/shared.yaml", shared),
        api(1).status(Status::Superseded, "Install complete"),
        api(2),
        ReleaseBuilder::new("db", "data", 1).manifest_doc("db/templates/cm.yaml", CM),
    ]
}

/// `scan -o json` without the `sources` and `warnings`, which name the database or the file.
fn scan_json(out: &str) -> Value {
    let mut report: Value = serde_json::from_str(out).expect("scan JSON");
    report["sources"] = Value::Null;
    report["warnings"] = Value::Null;
    report
}

#[test]
fn scan_and_who_read_the_rows_release_by_release_as_the_files_are() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    let releases = scanned_releases();
    // Inserted out of order: the rows are read in release order whatever the table's.
    for (i, r) in releases.iter().enumerate().rev() {
        let mut row = r.sql_row();
        if i == 1 {
            row["body"] = Value::String("bm90IGd6aXA=".into());
        }
        pg.insert("helm", &row);
    }
    // A broken row whose key names no release: said, not dropped (the file has no such item).
    let mut stray = ReleaseBuilder::new("zz", "shop", 1).sql_row();
    stray["key"] = Value::String("stray".into());
    stray["body"] = Value::String("bm90IGd6aXA=".into());
    pg.insert("helm", &stray);
    // The same records as one file (the Secret's base64 of the same broken text).
    let mut secrets: Vec<Value> = releases.iter().map(ReleaseBuilder::secret).collect();
    secrets[1]["data"]["release"] = Value::String("Ym05MElHZDZhWEE9".into());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("secrets.json");
    let list = helm_why_release::builder::list(secrets);
    std::fs::write(&file, serde_json::to_vec(&list).expect("JSON")).expect("written");
    let file = file.to_str().expect("a UTF-8 path");

    for scope in [&["-A"][..], &["-n", "shop"]] {
        let args = [&["scan", "-o", "json", "--fail-on", "never"][..], scope].concat();
        let (out, err, code) = helm_why(&pg, "helm", &args);
        assert_eq!(code, 0, "{err}");
        let (code, from_file, _) = crate::harness::output(&[&args[..], &["--from", file]].concat());
        assert_eq!(code, 0, "{from_file}");
        assert_eq!(scan_json(&out), scan_json(&from_file), "{scope:?}");
        let report = scan_json(&out);
        let names: Vec<&str> = report["releases"]
            .as_array()
            .expect("releases")
            .iter()
            .filter_map(|r| r["release"].as_str())
            .collect();
        let expected = if scope.len() == 1 {
            vec!["db", "api", "web"]
        } else {
            vec!["api", "web"]
        };
        assert_eq!(names, expected, "{scope:?}");
        let shared = crate::harness::hazards_coded(&report, "shared-object");
        assert!(!shared.is_empty(), "{report}");
        let warnings: Value =
            serde_json::from_str::<Value>(&out).expect("JSON")["warnings"].clone();
        assert_eq!(
            warnings,
            serde_json::json!([
                "could not decode stray (database \"helm\", table releases_v1): gzip: after 2 \
                 base64 layers the data is neither gzip (1f 8b 08) nor JSON",
                "shop/web: revision 2 could not be decoded: sh.helm.release.v1.web.v2 \
                 (database \"helm\", table releases_v1): gzip: after 2 base64 layers the data is \
                 neither gzip (1f 8b 08) nor JSON"
            ])
        );
    }
    let (who, err, code) = helm_why(&pg, "helm", &["who", "cm/shared", "-n", "shop"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(who, @"
    ConfigMap shop/shared
    2 releases track it now (shop/api, shop/web): whichever upgrades without it or is uninstalled
    deletes it from under the others; release shop/web wrote it last, at revision 3 (upgrade: created).

    NAMESPACE  RELEASE  REVISIONS  WHAT IT DID                       TRACKS IT NOW
    shop       api      2          1: created; 2: applied unchanged  revision 2
    shop       web      1          3: created                        revision 3

    Story:
      2026-01-01 00:00:01 UTC shop/api revision 1 (install, apply): create — created by the install
      2026-01-01 00:00:02 UTC shop/api revision 2 (upgrade, apply): unchanged — unchanged
      2026-01-01 00:00:03 UTC shop/web revision 3 (upgrade, apply): create — created: new in this
        revision; but the records last show release shop/api writing it before (revision 2, upgrade,
        2026-01-01 00:00:02 UTC) and nothing removing it since: Helm would have refused this upgrade at
        the existing-resource check unless the object was changed outside Helm first (deleted, annotated
        for this release, or taken over with --take-ownership)
    ");
}

#[test]
fn connection_errors_name_the_database_and_hide_the_password() {
    let Some(pg) = Postgres::start() else { return };
    let (_, err, code) = helm_why(&pg, "nope", &["list"]);
    assert_eq!(code, 1);
    assert!(!err.contains("pw-not-needed"), "{err}");
    insta::assert_snapshot!(err, @r#"helm-why: PostgreSQL database "nope" at 127.0.0.1:<port>: cannot connect: FATAL: database "nope" does not exist"#);
    pg.exec("postgres", "CREATE DATABASE empty");
    let (_, err, _) = helm_why(&pg, "empty", &["list"]);
    insta::assert_snapshot!(err, @r#"
    helm-why: PostgreSQL database "empty" at 127.0.0.1:<port> has no table releases_v1: Helm's SQL driver never stored a release there
    hint: check the database name in HELM_DRIVER_SQL_CONNECTION_STRING
    "#);
    // Nothing listens on port 1.
    let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
        .env_clear()
        .env("HELM_DRIVER", "sql")
        .env(
            "HELM_DRIVER_SQL_CONNECTION_STRING",
            "postgresql://helm:hunter2@127.0.0.1:1/helm?sslmode=disable",
        )
        .args(["list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("hunter2"), "{err}");
    insta::assert_snapshot!(err, @r#"helm-why: PostgreSQL database "helm" at 127.0.0.1:1: cannot connect: error connecting to server: Connection refused (os error 111)"#);
}

#[test]
fn tls_per_sslmode() {
    if Command::new("openssl").arg("version").output().is_err() {
        testkube::skip::skipped(
            "no openssl to make the test certificates",
            testkube::skip::Provided::Optional,
        );
        return;
    }
    let Some(pg) = Postgres::start_with(true) else {
        return;
    };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    pg.insert("helm", &web(1, 1).sql_row());
    let plain = format!("postgresql://postgres:hunter2@127.0.0.1:{}/helm", pg.port);
    let ca = pg.ca();
    let run = |url: String| {
        let out = Command::new(env!("CARGO_BIN_EXE_helm-why"))
            .env_clear()
            .env("HELM_DRIVER", "sql")
            .env("HELM_DRIVER_SQL_CONNECTION_STRING", &url)
            .args(["list", "-n", "shop"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr)
            .replace(&pg.port.to_string(), "<port>")
            .replace(&ca, "<ca>");
        assert!(!err.contains("hunter2"), "{err}");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).lines().count(),
            err,
        )
    };
    // lib/pq's default and `require`: encrypted, the certificate is not checked.
    assert_eq!(run(plain.clone()), (Some(0), 2, String::new()));
    assert_eq!(
        run(format!("{plain}?sslmode=require")),
        (Some(0), 2, String::new())
    );
    // `verify-ca`: the chain is trusted, the name (db.example, not 127.0.0.1) is not checked.
    assert_eq!(
        run(format!("{plain}?sslmode=verify-ca&sslrootcert={ca}")),
        (Some(0), 2, String::new())
    );
    // `verify-full`: the name must match.
    let (code, _, err) = run(format!("{plain}?sslmode=verify-full&sslrootcert={ca}"));
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(err, @r#"helm-why: PostgreSQL database "helm" at 127.0.0.1:<port>: cannot connect: error performing TLS handshake: invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("db.example")"#);
    // An untrusted CA.
    let server_cert = pg.dir.path().join("server.pem").display().to_string();
    let (code, _, err) = run(format!(
        "{plain}?sslmode=verify-ca&sslrootcert={server_cert}"
    ));
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(err, @r#"helm-why: PostgreSQL database "helm" at 127.0.0.1:<port>: cannot connect: error performing TLS handshake: invalid peer certificate: UnknownIssuer"#);
    // A server without TLS refuses `require`.
    let Some(no_tls) = Postgres::start() else {
        return;
    };
    let (code, _, err) = run(format!(
        "postgresql://postgres:hunter2@127.0.0.1:{}/postgres?sslmode=require",
        no_tls.port
    ));
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(err.replace(&no_tls.port.to_string(), "<port>"), @r#"helm-why: PostgreSQL database "postgres" at 127.0.0.1:<port>: cannot connect: error performing TLS handshake: server does not support TLS"#);
}

/// `explain` reads the other releases of the namespace in two SELECTs: every body is searched
/// for the object's name, then the rows of the releases found are read and decoded. `b`'s
/// revision 2 deletes cm/shared without mentioning it: its revision 1 does.
#[test]
fn explain_finds_the_other_release_through_its_older_revision() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    let shared = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n";
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n";
    let rows = [
        ReleaseBuilder::new("own", "shop", 1).manifest_doc("own/templates/s.yaml", shared),
        ReleaseBuilder::new("b", "shop", 1)
            .manifest_doc("b/templates/s.yaml", shared)
            .status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("b", "shop", 2)
            .times("2026-01-01T00:00:01Z", "2026-01-01T00:00:05Z")
            .manifest_doc("b/templates/o.yaml", other),
        ReleaseBuilder::new("c", "shop", 1).manifest_doc("c/templates/o.yaml", other),
    ];
    for row in &rows {
        pg.insert("helm", &row.sql_row());
    }
    let (out, err, code) = helm_why(&pg, "helm", &["explain", "own", "cm/shared", "-n", "shop"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("release shop/b revision 2 (upgrade, 2026-01-01 00:00:05 UTC) deleted it"),
        "{out}"
    );
}

/// A cluster-scoped object may be deleted by a release of any namespace: `explain` searches
/// every namespace's rows for it (one SELECT that leaves out only the release itself).
#[test]
fn explain_searches_every_namespace_for_a_cluster_scoped_object() {
    let Some(pg) = Postgres::start() else { return };
    pg.exec("postgres", "CREATE DATABASE helm");
    helm_schema(&pg, "helm");
    let role =
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n";
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n";
    let rows = [
        ReleaseBuilder::new("own", "shop", 1)
            .times("2026-01-01T00:00:02Z", "2026-01-01T00:00:02Z")
            .manifest_doc("own/templates/r.yaml", role),
        ReleaseBuilder::new("own", "lab", 1).manifest_doc("own/templates/o.yaml", other),
        ReleaseBuilder::new("x", "lab", 1)
            .manifest_doc("x/templates/r.yaml", role)
            .status(Status::Superseded, "Install complete"),
        ReleaseBuilder::new("x", "lab", 2)
            .times("2026-01-01T00:00:01Z", "2026-01-01T00:00:05Z")
            .manifest_doc("x/templates/o.yaml", other),
    ];
    for row in &rows {
        pg.insert("helm", &row.sql_row());
    }
    let args = ["explain", "own", "clusterrole/reader", "-n", "shop"];
    let (out, err, code) = helm_why(&pg, "helm", &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("release lab/x revision 2 (upgrade, 2026-01-01 00:00:05 UTC) deleted it"),
        "{out}"
    );
}
