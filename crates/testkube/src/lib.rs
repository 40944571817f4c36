//! A tiny Kubernetes API server for tests: plain HTTP/1.1 on `127.0.0.1`, a random port, and
//! only what a read-only client needs.
//!
//! It serves `GET` on any kind it knows — the common built-in kinds (ConfigMap, Secret,
//! Service, Pod, ServiceAccount, PersistentVolumeClaim, Namespace, Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob, Ingress under `networking.k8s.io/v1` and
//! `extensions/v1beta1` from one store entry, ClusterRole, CustomResourceDefinition), the
//! kinds of every CustomResourceDefinition added, and kinds registered with
//! [`TestCluster::register`]: lists (one namespace or all of them) and single objects,
//! namespaced and cluster-scoped, with label selectors (`k=v`, `k!=v`, `k`, `!k`,
//! `k in (a,b)`, `k notin (a,b)`, comma-joined), `limit` + `continue` pagination with opaque tokens, `*List` bodies carrying
//! `resourceVersion`, JSON `Status` errors, `/version`, and discovery (`/api`, `/api/v1`,
//! `/apis`, `/apis/{group}`, `/apis/{group}/{version}`) as kube's discovery reads it. Every
//! request is recorded; any method but `GET` is recorded and refused. Failure switches make it
//! answer 401/403/404/500 for a path prefix or for everything. It requires the bearer token
//! written into the kubeconfig it hands out, and stops when dropped.
//!
//! ```
//! use testkube::TestCluster;
//! let cluster = TestCluster::start();
//! cluster.add(serde_json::json!({
//!     "apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "a", "namespace": "shop", "labels": {"owner": "helm"}},
//! }));
//! let kubeconfig = cluster.kubeconfig(Some("shop"));
//! assert!(kubeconfig.contains(&cluster.url()));
//! assert!(cluster.requests().is_empty());
//! ```

pub mod api;
mod http;
pub mod skip;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use api::{Failure, State};
pub use api::{Resource, ResourceType};

/// A request the server received, query parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Query parameters in the order sent, decoded.
    pub query: Vec<(String, String)>,
    /// The `User-Agent` header, when sent (not part of the [`fmt::Display`] form).
    pub user_agent: Option<String>,
}

impl RecordedRequest {
    /// The first value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET /api/v1/secrets?labelSelector=owner=helm&limit=100` (decoded, for readable snapshots).
impl fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// What the connection tasks share with the [`TestCluster`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    token: String,
    state: Mutex<State>,
    log: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn log(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Record a request and answer it.
    pub(crate) fn handle(
        &self,
        request: &RecordedRequest,
        authorization: Option<&str>,
    ) -> api::Response {
        self.log().push(request.clone());
        self.state().respond(
            &request.method,
            &request.path,
            &request.query,
            authorization,
            &self.token,
        )
    }
}

/// A running test API server. Dropping it stops the server and closes its port.
#[derive(Debug)]
pub struct TestCluster {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestCluster {
    /// Start a server on `127.0.0.1` on a free port, with no objects.
    ///
    /// # Panics
    /// When no thread or port can be had: the test cannot run anyway.
    pub fn start() -> TestCluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("testkube")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("testkube: cannot start a runtime: {e}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("testkube: cannot listen on 127.0.0.1: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("testkube: no local address: {e}"));
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .unwrap_or_else(|e| panic!("testkube: cannot register the listener: {e}"))
        };
        let shared = Arc::new(Shared {
            token: format!("testkube-token-{}", addr.port()),
            state: Mutex::new(State::default()),
            log: Mutex::new(Vec::new()),
        });
        runtime.spawn(http::serve(listener, Arc::clone(&shared)));
        TestCluster {
            addr,
            shared,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token the server requires.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Store an object as `kubectl get -o json` prints it (Secret `data` values
    /// base64-encoded as the API serves them), of any kind the server serves.
    /// `metadata.namespace` defaults to `default` for namespaced kinds and is dropped for
    /// cluster-scoped ones; `resourceVersion`, `uid` and `creationTimestamp` are filled in when
    /// absent. An object with the same kind (storage), namespace and name is replaced. Adding a
    /// `CustomResourceDefinition` makes the server serve its kind.
    ///
    /// # Panics
    /// On an object of a kind the server does not serve, or without `metadata.name`: a test bug.
    pub fn add(&self, object: Value) -> &Self {
        if let Err(e) = self.shared.state().insert(object) {
            panic!("testkube: {e}");
        }
        self
    }

    /// Serve one more kind (a custom resource, say), as a CustomResourceDefinition would.
    ///
    /// ```
    /// use testkube::{ResourceType, TestCluster};
    /// let cluster = TestCluster::start();
    /// cluster.register(ResourceType::new("example.com", "v1", "Tenant", "tenants", false));
    /// cluster.add(serde_json::json!({
    ///     "apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "acme"},
    /// }));
    /// assert_eq!(cluster.count_kind("example.com/v1", "Tenant"), 1);
    /// ```
    pub fn register(&self, resource_type: ResourceType) -> &Self {
        self.shared.state().register(resource_type);
        self
    }

    /// Store several objects (see [`TestCluster::add`]).
    pub fn add_all(&self, objects: impl IntoIterator<Item = Value>) -> &Self {
        for object in objects {
            self.add(object);
        }
        self
    }

    /// Number of stored objects of `resource` (in every namespace).
    pub fn count(&self, resource: Resource) -> usize {
        self.count_kind("v1", resource.kind())
    }

    /// Number of stored objects of the kind `api_version` and `kind` name (in every
    /// namespace; an Ingress counts once whichever group it is asked under).
    pub fn count_kind(&self, api_version: &str, kind: &str) -> usize {
        let state = self.shared.state();
        let Some(t) = state.type_of(Some(api_version), kind) else {
            return 0;
        };
        state
            .objects
            .keys()
            .filter(|k| k.group == t.storage_group && k.plural == t.plural)
            .count()
    }

    /// Answer every request with `code` (401, 403, 404, 500, …) until cleared.
    pub fn fail_all(&self, code: u16) {
        self.shared.state().failures.push(Failure {
            path_prefix: None,
            continued_only: false,
            code,
        });
    }

    /// Answer requests whose path starts with `path_prefix` with `code` until cleared.
    pub fn fail_path(&self, path_prefix: &str, code: u16) {
        self.shared.state().failures.push(Failure {
            path_prefix: Some(path_prefix.to_owned()),
            continued_only: false,
            code,
        });
    }

    /// Answer the pages after the first of every LIST (requests with a `continue` token) with
    /// `code` until cleared: a LIST that breaks down half-way.
    pub fn fail_continued(&self, code: u16) {
        self.shared.state().failures.push(Failure {
            path_prefix: None,
            continued_only: true,
            code,
        });
    }

    /// Remove every failure switch.
    pub fn clear_failures(&self) {
        self.shared.state().failures.clear();
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().clone()
    }

    /// Forget the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.log().clear();
    }

    /// A context named `name` for this server, with an optional namespace.
    pub fn context(&self, name: &str, namespace: Option<&str>) -> Context {
        Context {
            name: name.to_owned(),
            server: self.url(),
            token: self.token().to_owned(),
            namespace: namespace.map(str::to_owned),
        }
    }

    /// A kubeconfig with one context, `test`, current, for this server and its token.
    pub fn kubeconfig(&self, namespace: Option<&str>) -> String {
        kubeconfig(&[self.context("test", namespace)], Some("test"))
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Blocking is not allowed inside another runtime: let it wind down there.
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(Duration::from_secs(5));
            }
        }
    }
}

/// One context of a kubeconfig: its cluster and user are named after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Context (and cluster, and user) name.
    pub name: String,
    /// Server URL.
    pub server: String,
    /// Bearer token.
    pub token: String,
    /// The context's namespace.
    pub namespace: Option<String>,
}

/// A kubeconfig YAML with these contexts and `current` as the current context.
pub fn kubeconfig(contexts: &[Context], current: Option<&str>) -> String {
    let q = |s: &str| Value::from(s).to_string(); // a JSON string is a YAML scalar
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for c in contexts {
        let name = q(&c.name);
        clusters.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {}\n",
            q(&c.server)
        ));
        users.push_str(&format!(
            "- name: {name}\n  user:\n    token: {}\n",
            q(&c.token)
        ));
        ctxs.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        ));
        if let Some(ns) = &c.namespace {
            ctxs.push_str(&format!("    namespace: {}\n", q(ns)));
        }
    }
    let current = current.map(|c| format!("current-context: {}\n", q(c)));
    format!(
        "apiVersion: v1\nkind: Config\npreferences: {{}}\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}{}",
        current.unwrap_or_default()
    )
}

/// A URL on `127.0.0.1` where nothing listens (the port was free a moment ago), for
/// connection-refused tests.
///
/// # Panics
/// When no port can be had.
pub fn unused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("testkube: cannot listen on 127.0.0.1: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("testkube: no local address: {e}"));
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use serde_json::json;

    use super::*;

    fn raw(cluster: &TestCluster, request: &str) -> String {
        let mut stream = std::net::TcpStream::connect(cluster.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_and_records_over_tcp() {
        let cluster = TestCluster::start();
        cluster.add(json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"}}));
        let auth = format!("Authorization: Bearer {}\r\n", cluster.token());
        // Two requests on one keep-alive connection, the second closing it.
        let out = raw(
            &cluster,
            &format!(
                "GET /api/v1/pods?limit=1 HTTP/1.1\r\nHost: x\r\n{auth}\r\n\
                 DELETE /api/v1/namespaces/default/pods/p HTTP/1.1\r\n{auth}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            ),
        );
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains(r#""kind":"PodList""#), "{out}");
        assert!(out.contains("HTTP/1.1 405 Method Not Allowed\r\n"), "{out}");
        let log: Vec<String> = cluster.requests().iter().map(ToString::to_string).collect();
        assert_eq!(
            log,
            [
                "GET /api/v1/pods?limit=1",
                "DELETE /api/v1/namespaces/default/pods/p"
            ]
        );
        assert_eq!(cluster.count(Resource::Pods), 1);
        let url = cluster.url();
        drop(cluster);
        let addr = url.trim_start_matches("http://");
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn writes_a_kubeconfig() {
        let c = Context {
            name: "dev".into(),
            server: "http://127.0.0.1:1".into(),
            token: "t".into(),
            namespace: Some("shop".into()),
        };
        assert_eq!(
            kubeconfig(&[c], Some("dev")),
            "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- name: \"dev\"\n  cluster:\n    \
             server: \"http://127.0.0.1:1\"\nusers:\n- name: \"dev\"\n  user:\n    token: \"t\"\n\
             contexts:\n- name: \"dev\"\n  context:\n    cluster: \"dev\"\n    user: \"dev\"\n    \
             namespace: \"shop\"\ncurrent-context: \"dev\"\n"
        );
    }
}
