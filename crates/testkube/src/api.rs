//! The Kubernetes API semantics the server implements, free of any I/O: routing, discovery,
//! label selectors, `limit`/`continue` pagination and `Status` errors.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The resources of the original server, kept as a shorthand for tests (every other kind is
/// described by a [`ResourceType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// `secrets` (kind `Secret`).
    Secrets,
    /// `configmaps` (kind `ConfigMap`).
    ConfigMaps,
    /// `pods` (kind `Pod`).
    Pods,
}

impl Resource {
    /// Every resource, in URL-name order.
    pub const ALL: [Resource; 3] = [Resource::ConfigMaps, Resource::Pods, Resource::Secrets];

    /// The plural name used in URLs (`secrets`).
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Secrets => "secrets",
            Resource::ConfigMaps => "configmaps",
            Resource::Pods => "pods",
        }
    }

    /// The object kind (`Secret`).
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Secrets => "Secret",
            Resource::ConfigMaps => "ConfigMap",
            Resource::Pods => "Pod",
        }
    }

    /// The resource of a URL plural name.
    pub fn from_plural(plural: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.plural() == plural)
    }

    /// The resource of an object kind.
    pub fn from_kind(kind: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.kind() == kind)
    }
}

/// One kind the server serves: its group, version, plural name and scope.
///
/// ```
/// use testkube::ResourceType;
/// let tenant = ResourceType::new("example.com", "v1", "Tenant", "tenants", false);
/// assert_eq!(tenant.api_version(), "example.com/v1");
/// assert_eq!(tenant.resource_name(), "tenants.example.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// API group, `""` for the core group.
    pub group: String,
    /// Version within the group.
    pub version: String,
    /// Object kind (`Deployment`).
    pub kind: String,
    /// The plural name used in URLs (`deployments`).
    pub plural: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// The group whose storage holds the objects: a kind served under several groups
    /// (`extensions` and `networking.k8s.io` Ingresses) is one object, as in a real API server.
    pub storage_group: String,
}

impl ResourceType {
    /// A kind stored under its own group.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            namespaced,
            storage_group: group.to_owned(),
        }
    }

    /// The same kind, with its objects stored under `group` (served from one store entry).
    pub fn stored_as(mut self, group: &str) -> Self {
        self.storage_group = group.to_owned();
        self
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `configmaps` for the core group, as the API server names it in
    /// messages.
    pub fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The kinds every test server serves.
    pub fn builtin() -> Vec<ResourceType> {
        let core = |kind: &str, plural: &str| ResourceType::new("", "v1", kind, plural, true);
        let apps = |kind: &str, plural: &str| ResourceType::new("apps", "v1", kind, plural, true);
        let batch = |kind: &str, plural: &str| ResourceType::new("batch", "v1", kind, plural, true);
        vec![
            core("ConfigMap", "configmaps"),
            core("Secret", "secrets"),
            core("Service", "services"),
            core("Pod", "pods"),
            core("ServiceAccount", "serviceaccounts"),
            core("PersistentVolumeClaim", "persistentvolumeclaims"),
            ResourceType::new("", "v1", "Namespace", "namespaces", false),
            apps("Deployment", "deployments"),
            apps("StatefulSet", "statefulsets"),
            apps("DaemonSet", "daemonsets"),
            apps("ReplicaSet", "replicasets"),
            batch("Job", "jobs"),
            batch("CronJob", "cronjobs"),
            ResourceType::new("networking.k8s.io", "v1", "Ingress", "ingresses", true),
            ResourceType::new("extensions", "v1beta1", "Ingress", "ingresses", true)
                .stored_as("networking.k8s.io"),
            ResourceType::new(
                "rbac.authorization.k8s.io",
                "v1",
                "ClusterRole",
                "clusterroles",
                false,
            ),
            ResourceType::new(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                "customresourcedefinitions",
                false,
            ),
        ]
    }

    /// The kinds a `CustomResourceDefinition` (`apiextensions.k8s.io/v1`) makes the server
    /// serve: one per served version.
    pub fn from_crd(crd: &Value) -> Vec<ResourceType> {
        let spec = &crd["spec"];
        let (Some(group), Some(kind), Some(plural)) = (
            spec["group"].as_str(),
            spec.pointer("/names/kind").and_then(Value::as_str),
            spec.pointer("/names/plural").and_then(Value::as_str),
        ) else {
            return Vec::new();
        };
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        spec["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["served"].as_bool().unwrap_or(true))
            .filter_map(|v| v["name"].as_str())
            .map(|version| ResourceType::new(group, version, kind, plural, namespaced))
            .collect()
    }
}

/// A switch that makes the server answer with an error status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Requests whose path starts with this fail; `None` for every request.
    pub path_prefix: Option<String>,
    /// Only the pages after the first of a LIST fail (requests with a `continue` token).
    pub continued_only: bool,
    /// HTTP status: 401, 403, 404, 500 (any 4xx/5xx works).
    pub code: u16,
}

/// Where one object is stored: ordered like etcd keys, which is the order the API server
/// lists them in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey {
    /// The storage group ([`ResourceType::storage_group`]).
    pub group: String,
    /// The plural name.
    pub plural: String,
    /// The namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// The object name.
    pub name: String,
}

/// The stored objects.
pub type Store = BTreeMap<StoreKey, Value>;

/// A response: status code and JSON body.
pub type Response = (u16, Value);

/// Everything the server knows.
#[derive(Debug)]
pub struct State {
    /// The kinds served, in registration order.
    pub types: Vec<ResourceType>,
    /// The stored objects.
    pub objects: Store,
    /// The last resource version handed out.
    pub resource_version: u64,
    /// Active failure switches; the first matching one answers.
    pub failures: Vec<Failure>,
}

impl Default for State {
    fn default() -> Self {
        State {
            types: ResourceType::builtin(),
            objects: Store::new(),
            resource_version: 0,
            failures: Vec::new(),
        }
    }
}

impl State {
    /// Serve a kind (replacing one with the same group, version and kind).
    pub fn register(&mut self, resource_type: ResourceType) {
        self.types.retain(|t| {
            (&t.group, &t.version, &t.kind)
                != (
                    &resource_type.group,
                    &resource_type.version,
                    &resource_type.kind,
                )
        });
        self.types.push(resource_type);
    }

    /// The kind an object's `apiVersion` and `kind` name (an object without `apiVersion`
    /// matches the first kind of that name).
    pub fn type_of(&self, api_version: Option<&str>, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.kind == kind && api_version.is_none_or(|v| t.api_version() == v))
    }

    /// Store an object: `metadata.namespace` defaults to `default` for namespaced kinds and
    /// is dropped for cluster-scoped ones; `resourceVersion`, `uid` and `creationTimestamp`
    /// are filled in when absent. An object with the same storage, namespace and name is
    /// replaced. A `CustomResourceDefinition` makes its kinds served.
    ///
    /// # Errors
    /// An object of a kind the server does not serve, or without `metadata.name`.
    pub fn insert(&mut self, mut object: Value) -> Result<StoreKey, String> {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let api_version = object["apiVersion"].as_str().map(str::to_owned);
        let resource_type = self
            .type_of(api_version.as_deref(), &kind)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "cannot store kind {kind:?} of {:?}: register it first",
                    api_version.as_deref().unwrap_or("no apiVersion")
                )
            })?;
        let name = object["metadata"]["name"]
            .as_str()
            .ok_or_else(|| format!("the {kind} has no metadata.name"))?
            .to_owned();
        self.resource_version += 1;
        let rv = self.resource_version;
        let meta = &mut object["metadata"];
        let namespace = if resource_type.namespaced {
            let ns = meta["namespace"].as_str().unwrap_or("default").to_owned();
            meta["namespace"] = json!(ns);
            ns
        } else {
            if let Some(map) = meta.as_object_mut() {
                map.remove("namespace");
            }
            String::new()
        };
        for (key, value) in [
            ("resourceVersion", json!(rv.to_string())),
            ("uid", json!(format!("00000000-0000-4000-8000-{rv:012}"))),
            ("creationTimestamp", json!("2026-01-01T00:00:00Z")),
        ] {
            if meta.get(key).is_none() {
                meta[key] = value;
            }
        }
        if resource_type.group == "apiextensions.k8s.io"
            && resource_type.kind == "CustomResourceDefinition"
        {
            for served in ResourceType::from_crd(&object) {
                self.register(served);
            }
        }
        let key = StoreKey {
            group: resource_type.storage_group.clone(),
            plural: resource_type.plural.clone(),
            namespace,
            name,
        };
        self.objects.insert(key.clone(), object);
        Ok(key)
    }

    /// Answer one request. `authorization` is the `Authorization` header, checked against
    /// `token`.
    pub fn respond(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        authorization: Option<&str>,
        token: &str,
    ) -> Response {
        let continued = query.iter().any(|(k, v)| k == "continue" && !v.is_empty());
        if let Some(f) = self.failures.iter().find(|f| {
            f.path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
                && (continued || !f.continued_only)
        }) {
            return failure_status(f.code, path);
        }
        if authorization != Some(format!("Bearer {token}").as_str()) {
            return status(401, "Unauthorized", "Unauthorized");
        }
        if method != "GET" {
            return status(
                405,
                "MethodNotAllowed",
                &format!("method {method} is not supported by this read-only test server"),
            );
        }
        let param = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match segments.as_slice() {
            ["version"] => (200, version()),
            ["api"] => (
                200,
                json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            ),
            ["apis"] => (200, self.group_list()),
            ["api", version] => self.resource_list("", version),
            ["apis", group] => match self.group(group) {
                Some(g) => (200, g),
                None => not_found_path(),
            },
            ["apis", group, version] => self.resource_list(group, version),
            ["api", version, rest @ ..] => self.objects_route("", version, rest, param),
            ["apis", group, version, rest @ ..] => self.objects_route(group, version, rest, param),
            _ => not_found_path(),
        }
    }

    /// `…/namespaces/{ns}/{plural}[/{name}]` and `…/{plural}[/{name}]` under one group version.
    fn objects_route<'q>(
        &self,
        group: &str,
        version: &str,
        rest: &[&str],
        param: impl Fn(&str) -> Option<&'q str>,
    ) -> Response {
        let find = |plural: &str| {
            self.types
                .iter()
                .find(|t| t.group == group && t.version == version && t.plural == plural)
        };
        match rest {
            ["namespaces", ns, plural] => match find(plural) {
                Some(t) if t.namespaced => self.list(t, Some(ns), param),
                _ => not_found_path(),
            },
            ["namespaces", ns, plural, name] => match find(plural) {
                Some(t) if t.namespaced => self.get(t, ns, name),
                _ => not_found_path(),
            },
            [plural] => match find(plural) {
                Some(t) => self.list(t, None, param),
                None => not_found_path(),
            },
            [plural, name] => match find(plural) {
                Some(t) if !t.namespaced => self.get(t, "", name),
                _ => not_found_path(),
            },
            _ => not_found_path(),
        }
    }

    fn get(&self, t: &ResourceType, ns: &str, name: &str) -> Response {
        let key = StoreKey {
            group: t.storage_group.clone(),
            plural: t.plural.clone(),
            namespace: ns.to_owned(),
            name: name.to_owned(),
        };
        match self.objects.get(&key) {
            Some(obj) => {
                // Served as the version asked for, whichever one it was stored with.
                let mut obj = obj.clone();
                obj["apiVersion"] = json!(t.api_version());
                obj["kind"] = json!(t.kind);
                (200, obj)
            }
            None => status(
                404,
                "NotFound",
                &format!("{} \"{name}\" not found", t.resource_name()),
            ),
        }
    }

    fn list<'q>(
        &self,
        t: &ResourceType,
        ns: Option<&str>,
        param: impl Fn(&str) -> Option<&'q str>,
    ) -> Response {
        let selector = match param("labelSelector").map(parse_selector).transpose() {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => return status(400, "BadRequest", &e),
        };
        let limit = match param("limit").map(str::parse::<usize>).transpose() {
            Ok(l) => l.filter(|l| *l > 0),
            Err(_) => return status(400, "BadRequest", "limit must be a non-negative integer"),
        };
        let start = match param("continue").filter(|c| !c.is_empty()) {
            Some(token) => match decode_continue(token) {
                Some(key) => Some(key),
                None => {
                    return status(
                        400,
                        "BadRequest",
                        "continue key is not valid: incorrect encoded start resourceVersion",
                    );
                }
            },
            None => None,
        };
        let matching: Vec<(&StoreKey, &Value)> = self
            .objects
            .iter()
            .filter(|(k, _)| {
                k.group == t.storage_group
                    && k.plural == t.plural
                    && ns.is_none_or(|ns| ns == k.namespace)
                    && start
                        .as_ref()
                        .is_none_or(|(s_ns, s_name)| (&k.namespace, &k.name) > (s_ns, s_name))
            })
            .filter(|(_, obj)| selector.iter().all(|req| req.matches(labels(obj))))
            .collect();
        let page = limit.unwrap_or(usize::MAX).min(matching.len());
        let mut metadata = json!({ "resourceVersion": self.resource_version.to_string() });
        if page < matching.len()
            && let Some((last, _)) = page.checked_sub(1).and_then(|i| matching.get(i))
        {
            metadata["continue"] = json!(encode_continue(
                &last.namespace,
                &last.name,
                self.resource_version
            ));
            metadata["remainingItemCount"] = json!(matching.len() - page);
        }
        let items: Vec<Value> = matching
            .iter()
            .take(page)
            .map(|(_, obj)| {
                // Items of a typed list carry no kind or apiVersion, as the API server sends them.
                let mut item = (*obj).clone();
                if let Some(map) = item.as_object_mut() {
                    map.remove("kind");
                    map.remove("apiVersion");
                }
                item
            })
            .collect();
        (
            200,
            json!({
                "kind": format!("{}List", t.kind),
                "apiVersion": t.api_version(),
                "metadata": metadata,
                "items": items,
            }),
        )
    }

    /// The named groups, each with its versions in registration order (the first preferred).
    fn groups(&self) -> Vec<(&str, Vec<&str>)> {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) if versions.contains(&t.version.as_str()) => {}
                Some((_, versions)) => versions.push(&t.version),
                None => groups.push((&t.group, vec![&t.version])),
            }
        }
        groups
    }

    /// `/apis`: an `APIGroupList`.
    fn group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .into_iter()
            .map(|(name, versions)| api_group(name, &versions))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/{group}`: an `APIGroup`.
    fn group(&self, group: &str) -> Option<Value> {
        let (name, versions) = self.groups().into_iter().find(|(g, _)| *g == group)?;
        let mut value = api_group(name, &versions);
        value["kind"] = json!("APIGroup");
        value["apiVersion"] = json!("v1");
        Some(value)
    }

    /// `/api/v1` and `/apis/{group}/{version}`: an `APIResourceList`.
    fn resource_list(&self, group: &str, version: &str) -> Response {
        let mut types: Vec<&ResourceType> = self
            .types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .collect();
        if types.is_empty() {
            return not_found_path();
        }
        types.sort_by(|a, b| a.plural.cmp(&b.plural));
        let resources: Vec<Value> = types
            .iter()
            .map(|t| {
                json!({
                    "name": t.plural,
                    "singularName": t.kind.to_ascii_lowercase(),
                    "namespaced": t.namespaced,
                    "kind": t.kind,
                    "verbs": ["get", "list"],
                })
            })
            .collect();
        let group_version = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        (
            200,
            json!({
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": resources,
            }),
        )
    }
}

/// One entry of an `APIGroupList`.
fn api_group(name: &str, versions: &[&str]) -> Value {
    let entries: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": entries,
        "preferredVersion": entries.first().cloned().unwrap_or(Value::Null),
    })
}

fn labels(obj: &Value) -> Option<&serde_json::Map<String, Value>> {
    obj.pointer("/metadata/labels").and_then(Value::as_object)
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `k=v` or `k==v`.
    Equals(String, String),
    /// `k!=v`.
    NotEquals(String, String),
    /// `k`.
    Exists(String),
    /// `!k`.
    NotExists(String),
    /// `k in (v1,v2)`: the label is set to one of the values.
    In(String, Vec<String>),
    /// `k notin (v1,v2)`: the label is not set, or set to none of the values.
    NotIn(String, Vec<String>),
}

impl Requirement {
    fn matches(&self, labels: Option<&serde_json::Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        match self {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
            Requirement::In(k, values) => get(k).is_some_and(|v| values.iter().any(|w| w == v)),
            Requirement::NotIn(k, values) => get(k).is_none_or(|v| values.iter().all(|w| w != v)),
        }
    }

    fn key(&self) -> &str {
        match self {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::Exists(k)
            | Requirement::NotExists(k)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _) => k,
        }
    }
}

/// Parse a label selector as the API server does (apimachinery `labels.Parse`): equality
/// (`a=b,c==d,e!=f`), existence (`g,!h`) and set-based requirements (`x in (a,b)`,
/// `y notin (c)`, where an empty value is allowed: `(a,)`), separated by commas outside
/// parentheses, with spaces anywhere between tokens.
///
/// # Errors
/// Empty keys, an empty value set (`x in ()`), an unclosed or unexpected parenthesis, an
/// operator other than `in`/`notin` before a value set.
pub fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in split_requirements(text)? {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("unable to parse requirement: {part:?}: {why}");
        let req = if let Some((head, set)) = part.split_once('(') {
            let set = set
                .strip_suffix(')')
                .filter(|s| !s.contains(['(', ')']))
                .ok_or_else(|| bad("expected a value set closed by ')'"))?;
            let mut words = head.split_whitespace();
            let (key, op) = match (words.next(), words.next(), words.next()) {
                (Some(key), Some(op), None) if !key.starts_with('!') => (key.to_owned(), op),
                _ => return Err(bad("expected KEY in (…) or KEY notin (…)")),
            };
            if set.trim().is_empty() {
                return Err(bad(
                    "for 'in', 'notin' operators, values set can't be empty",
                ));
            }
            let mut values: Vec<String> = set.split(',').map(|v| v.trim().to_owned()).collect();
            values.sort();
            values.dedup();
            match op {
                "in" => Requirement::In(key, values),
                "notin" => Requirement::NotIn(key, values),
                other => return Err(bad(&format!("found '{other}', expected: in, notin"))),
            }
        } else if part.contains(')') {
            return Err(bad("unexpected ')'"));
        } else if let Some((k, v)) = part.split_once("!=") {
            Requirement::NotEquals(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::Equals(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some(k) = part.strip_prefix('!') {
            Requirement::NotExists(k.trim().to_owned())
        } else if part.contains(char::is_whitespace) {
            return Err(bad("expected an operator after the key"));
        } else {
            Requirement::Exists(part.to_owned())
        };
        if req.key().is_empty() {
            return Err(format!("unable to parse requirement: {part:?}: empty key"));
        }
        out.push(req);
    }
    Ok(out)
}

/// The requirements of a selector: its parts between commas outside parentheses.
fn split_requirements(text: &str) -> Result<Vec<&str>, String> {
    let (mut parts, mut start, mut depth) = (Vec::new(), 0, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' if depth == 0 => depth = 1,
            '(' => return Err(format!("unable to parse {text:?}: nested '('")),
            ')' if depth == 1 => depth = 0,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unable to parse {text:?}: '(' is not closed"));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

/// An opaque continue token naming the last key returned, like the API server's.
fn encode_continue(ns: &str, name: &str, resource_version: u64) -> String {
    let inner = json!({"v": "meta.k8s.io/v1", "rv": resource_version, "start": [ns, name]});
    URL_SAFE_NO_PAD.encode(inner.to_string())
}

fn decode_continue(token: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    let start = value.get("start")?.as_array()?;
    match start.as_slice() {
        [Value::String(ns), Value::String(name)] => Some((ns.clone(), name.clone())),
        _ => None,
    }
}

/// A `Status` error body as the API server sends it.
pub fn status(code: u16, reason: &str, message: &str) -> Response {
    (
        code,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }),
    )
}

/// What a request path asks for: group, namespace, resource and object name.
struct Target<'a> {
    group: &'a str,
    namespace: Option<&'a str>,
    plural: &'a str,
    name: Option<&'a str>,
}

/// Parse an object path; `None` for discovery and other non-resource paths.
fn target(path: &str) -> Option<Target<'_>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", _, rest @ ..] => ("", rest),
        ["apis", group, _, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(*ns), rest),
        rest => (None, rest),
    };
    match rest {
        [plural] => Some(Target {
            group,
            namespace,
            plural,
            name: None,
        }),
        [plural, name, ..] => Some(Target {
            group,
            namespace,
            plural,
            name: Some(name),
        }),
        _ => None,
    }
}

/// The error a failure switch answers, worded like the real API server's.
fn failure_status(code: u16, path: &str) -> Response {
    const USER: &str = "system:serviceaccount:default:test";
    let target = target(path);
    match code {
        401 => status(401, "Unauthorized", "Unauthorized"),
        403 => match target {
            Some(t) => {
                let scope = match t.namespace {
                    Some(ns) => format!(" in the namespace \"{ns}\""),
                    None => " at the cluster scope".to_owned(),
                };
                // The subject names the resource with its group, as the API server does.
                let resource = match t.group {
                    "" => t.plural.to_owned(),
                    group => format!("{}.{group}", t.plural),
                };
                let (subject, verb) = match t.name {
                    Some(name) => (format!("{resource} \"{name}\""), "get"),
                    None => (resource, "list"),
                };
                status(
                    403,
                    "Forbidden",
                    &format!(
                        "{subject} is forbidden: User \"{USER}\" cannot {verb} resource \"{}\" in \
                         API group \"{}\"{scope}",
                        t.plural, t.group
                    ),
                )
            }
            None => status(
                403,
                "Forbidden",
                &format!("forbidden: User \"{USER}\" cannot get path \"{path}\""),
            ),
        },
        404 => match target.and_then(|t| t.namespace) {
            Some(ns) => status(404, "NotFound", &format!("namespaces \"{ns}\" not found")),
            None => not_found_path(),
        },
        500 => status(
            500,
            "InternalError",
            "Internal error occurred: etcdserver: request timed out",
        ),
        503 => status(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request",
        ),
        other => status(other, "", &format!("test failure {other}")),
    }
}

fn not_found_path() -> Response {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-testkube",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(n: usize) -> State {
        let mut s = State::default();
        for i in 0..n {
            let name = format!("o{i:03}");
            s.insert(json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "shop",
                    "labels": {"owner": "helm", "parity": if i % 2 == 0 { "even" } else { "odd" }}}}))
                .unwrap();
        }
        s.resource_version = 7;
        s
    }

    fn get(s: &State, path: &str, query: &[(&str, &str)]) -> Response {
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        s.respond("GET", path, &q, Some("Bearer t"), "t")
    }

    #[test]
    fn pages_until_done() {
        let s = state(5);
        let mut names = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let (code, body) = get(
                &s,
                "/api/v1/namespaces/shop/secrets",
                &[
                    ("labelSelector", "parity=even,owner"),
                    ("limit", "2"),
                    ("continue", &token),
                ],
            );
            assert_eq!(code, 200);
            assert_eq!(body["kind"], "SecretList");
            assert_eq!(body["metadata"]["resourceVersion"], "7");
            pages += 1;
            for item in body["items"].as_array().into_iter().flatten() {
                names.push(item["metadata"]["name"].as_str().unwrap_or("").to_owned());
            }
            match body["metadata"]["continue"].as_str() {
                Some(t) => token = t.to_owned(),
                None => break,
            }
        }
        assert_eq!(names, ["o000", "o002", "o004"]);
        assert_eq!(pages, 2);
    }

    #[test]
    fn errors() {
        let mut s = state(1);
        assert_eq!(s.respond("GET", "/api/v1/secrets", &[], None, "t").0, 401);
        assert_eq!(
            s.respond("DELETE", "/api/v1/secrets", &[], Some("Bearer t"), "t")
                .0,
            405
        );
        assert_eq!(get(&s, "/api/v1/widgets", &[]).0, 404);
        assert_eq!(
            get(&s, "/api/v1/secrets", &[("continue", "garbage")]).0,
            400
        );
        s.failures.push(Failure {
            path_prefix: Some("/api/v1/namespaces/shop/".into()),
            continued_only: false,
            code: 403,
        });
        let (code, body) = get(&s, "/api/v1/namespaces/shop/secrets", &[]);
        assert_eq!(code, 403);
        assert_eq!(body["reason"], "Forbidden");
        assert_eq!(get(&s, "/api/v1/secrets", &[]).0, 200);
        let (_, body) = get(&s, "/api/v1/namespaces/shop/secrets/o000", &[]);
        assert_eq!(
            body["message"],
            "secrets \"o000\" is forbidden: User \"system:serviceaccount:default:test\" cannot \
             get resource \"secrets\" in API group \"\" in the namespace \"shop\""
        );
        s.failures.push(Failure {
            path_prefix: Some("/apis/example.com".into()),
            continued_only: false,
            code: 403,
        });
        let (_, body) = get(&s, "/apis/example.com/v1", &[]);
        assert_eq!(
            body["message"],
            "forbidden: User \"system:serviceaccount:default:test\" cannot get path \"/apis/example.com/v1\""
        );
    }

    #[test]
    fn selectors() {
        assert_eq!(
            parse_selector("a=b, c==d,e!=f,g,!h"),
            Ok(vec![
                Requirement::Equals("a".into(), "b".into()),
                Requirement::Equals("c".into(), "d".into()),
                Requirement::NotEquals("e".into(), "f".into()),
                Requirement::Exists("g".into()),
                Requirement::NotExists("h".into()),
            ])
        );
        assert!(parse_selector("=b").is_err());
    }

    #[test]
    fn set_based_selectors() {
        assert_eq!(
            parse_selector("owner=helm,name in (b, a),x notin (c,),!y"),
            Ok(vec![
                Requirement::Equals("owner".into(), "helm".into()),
                Requirement::In("name".into(), vec!["a".into(), "b".into()]),
                Requirement::NotIn("x".into(), vec!["".into(), "c".into()]),
                Requirement::NotExists("y".into()),
            ])
        );
        assert_eq!(
            parse_selector("name in(a)"),
            Ok(vec![Requirement::In("name".into(), vec!["a".into()])])
        );
        for bad in [
            "name in ()",
            "name in (a",
            "name in a)",
            "name (a)",
            "name is (a)",
            "in (a)",
            "name in ((a))",
            "name in (a),)",
            "a b",
            "!name in (a)",
        ] {
            assert!(parse_selector(bad).is_err(), "{bad}");
        }
        let labels = json!({"name": "a", "owner": "helm"});
        let labels = labels.as_object();
        let matches = |s: &str| parse_selector(s).unwrap().iter().all(|r| r.matches(labels));
        assert!(matches("name in (a,b)"));
        assert!(!matches("name in (b)"));
        assert!(matches("name notin (b)"));
        assert!(!matches("name notin (a)"));
        // `notin` holds when the label is not set; `in` does not.
        assert!(matches("status notin (deployed)"));
        assert!(!matches("status in (deployed)"));
    }

    #[test]
    fn any_kind_by_group_version_namespace_and_name() {
        let mut s = State::default();
        s.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}}))
            .unwrap();
        s.insert(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "reader", "namespace": "ignored"}}),
        )
        .unwrap();
        let (code, body) = get(&s, "/apis/apps/v1/namespaces/shop/deployments/web", &[]);
        assert_eq!(
            (code, body["metadata"]["uid"].as_str().is_some()),
            (200, true)
        );
        let (code, body) = get(&s, "/apis/apps/v1/namespaces/other/deployments/web", &[]);
        assert_eq!(code, 404);
        assert_eq!(body["message"], "deployments.apps \"web\" not found");
        let (code, body) = get(
            &s,
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/reader",
            &[],
        );
        assert_eq!(code, 200);
        assert_eq!(body["metadata"].get("namespace"), None);
        // A cluster-scoped kind has no namespaced path, a namespaced one no cluster path.
        let cr = "/apis/rbac.authorization.k8s.io/v1/namespaces/x/clusterroles/reader";
        assert_eq!(get(&s, cr, &[]).0, 404);
        assert_eq!(get(&s, "/apis/apps/v1/deployments/web", &[]).0, 404);
        let (code, body) = get(&s, "/apis/apps/v1/deployments", &[]);
        assert_eq!((code, body["kind"].as_str()), (200, Some("DeploymentList")));
        assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
        assert!(
            s.insert(json!({"apiVersion": "example.com/v1", "kind": "Tenant",
            "metadata": {"name": "t"}}))
                .is_err()
        );
    }

    #[test]
    fn one_ingress_under_two_groups() {
        let mut s = State::default();
        s.insert(
            json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "shop"}}),
        )
        .unwrap();
        let (code, body) = get(
            &s,
            "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web",
            &[],
        );
        assert_eq!(
            (code, body["apiVersion"].as_str()),
            (200, Some("networking.k8s.io/v1"))
        );
        let (code, body) = get(
            &s,
            "/apis/extensions/v1beta1/namespaces/shop/ingresses/web",
            &[],
        );
        assert_eq!(
            (code, body["apiVersion"].as_str()),
            (200, Some("extensions/v1beta1"))
        );
        s.insert(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"v": "2"}}}),
        )
        .unwrap();
        assert_eq!(s.objects.len(), 1);
        let (_, body) = get(&s, "/apis/extensions/v1beta1/ingresses", &[]);
        assert_eq!(body["items"][0]["metadata"]["labels"]["v"], "2");
    }

    #[test]
    fn discovery_documents() {
        let mut s = State::default();
        s.insert(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "tenants.example.com"},
            "spec": {"group": "example.com", "scope": "Cluster",
                "names": {"kind": "Tenant", "plural": "tenants"},
                "versions": [{"name": "v1", "served": true}, {"name": "v0", "served": false}]},
        }))
        .unwrap();
        let (_, core) = get(&s, "/api/v1", &[]);
        assert_eq!(core["groupVersion"], "v1");
        let names: Vec<&str> = core["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "configmaps",
                "namespaces",
                "persistentvolumeclaims",
                "pods",
                "secrets",
                "serviceaccounts",
                "services"
            ]
        );
        let (_, groups) = get(&s, "/apis", &[]);
        let group_names: Vec<&str> = groups["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["name"].as_str())
            .collect();
        assert_eq!(
            group_names,
            [
                "apps",
                "batch",
                "networking.k8s.io",
                "extensions",
                "rbac.authorization.k8s.io",
                "apiextensions.k8s.io",
                "example.com"
            ]
        );
        let (code, tenants) = get(&s, "/apis/example.com/v1", &[]);
        assert_eq!(code, 200);
        assert_eq!(
            tenants["resources"][0],
            json!({"name": "tenants", "singularName": "tenant", "namespaced": false,
                   "kind": "Tenant", "verbs": ["get", "list"]})
        );
        assert_eq!(get(&s, "/apis/example.com/v0", &[]).0, 404);
        let (_, group) = get(&s, "/apis/example.com", &[]);
        assert_eq!(group["preferredVersion"]["groupVersion"], "example.com/v1");
    }
}
