//! Records from a live cluster, through the Kubernetes API (read-only: get and list only).
//!
//! The kubeconfig is resolved as kubectl does (`--kubeconfig` or `KUBECONFIG`, which may list
//! several files, else `~/.kube/config`, else the in-cluster service account). Then ONE
//! paginated LIST of the storage objects is made with Helm's own label selector: `owner=helm,
//! name=<release>` for a release, `owner=helm` for `list`. `explain` and `timeline` also read
//! the other releases of the namespace: one paginated LIST `owner=helm` searched page by page
//! without decoding, then one LIST `owner=helm,name in (…)` of the releases found
//! ([`Request::Neighbours`]). `Api::list`, `Api::get_opt` and pinned discovery are the only API
//! calls in this module, by design (a unit test checks it).
//!
//! With `--tiller`/`--tiller-namespace`, Helm 2's records are read too: one paginated LIST of
//! ConfigMaps and one of Secrets in Tiller's namespace with Tiller's selector `OWNER=TILLER,
//! NAME=<release>` (`OWNER=TILLER` for `list`), as Tiller's storage drivers query them. Tiller
//! kept every release there, so its records are kept for the release namespace asked for (`-n`,
//! the context's for `list`), or for any namespace when a release is named without `-n`.
//! `scan` and `who` make those two LISTs before the Helm 3 one and hold Tiller's records
//! undecoded until their release's turn ([`ReleaseStream`]); for the other releases of
//! `explain` and `timeline`, only the Tiller releases of which a record may mention the
//! objects are decoded, as for Helm 3's.
//!
//! `images` also makes one paginated LIST of the Pods of the release namespace ([`list_pods`]).
//!
//! Commands that compare the records with the cluster keep the connection ([`Connection`]) and
//! then only read: API discovery, one `GET /apis/{group}/{version}` per group version needed
//! (never a discovery of every group), to learn the scope of custom kinds
//! ([`Connection::discover_scopes`]) and the resource names of the objects to look at; and one
//! GET per object (`Api::get_opt`, [`Connection::observe`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::Result;
use helm_why_release::history::{Adjacent, NotAdjacent, group};
use helm_why_release::mentions::Mentions;
use helm_why_release::parallel::{cores, map_chunks};
use helm_why_release::record::{Driver, RecordMeta, decode_record};
use helm_why_release::tiller;
use helm_why_release::{
    DecodeError, Layer, Limits, Record, RecordRef, ReleaseId, ResourceKey, ScopeResolver,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::ResourceExt as _;
use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::gvk::GroupVersion;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};

use super::held_tiller::{HeldTiller, Revisions, StoredTiller, by_claimed_release};
use super::{Batch, Loaded, Request};
use crate::config::{ClusterSpec, Config, StorageDriver};
use crate::error::UserError;

/// The `User-Agent` of every request: `helm-why/<version>`.
pub const USER_AGENT: &str = concat!("helm-why/", env!("CARGO_PKG_VERSION"));

/// GETs of live objects in flight at once.
const OBSERVE_IN_FLIGHT: usize = 16;

/// Objects per LIST page.
const PAGE_SIZE: u32 = 100;
/// Retries of a page the API server asks to retry (429, 503, 504).
const RETRIES: u32 = 3;

/// The cluster one run talks to.
struct Target {
    client: kube::Client,
    /// The release namespace: `-n`/`HELM_NAMESPACE`, else the context's, else `default`.
    namespace: String,
    /// `context kind-dev`, or `in-cluster`.
    source: String,
    /// The server URL, for messages.
    server: String,
}

/// What one LIST asks for.
struct Listing {
    resource: &'static str,
    /// `None`: every namespace.
    namespace: Option<String>,
    selector: String,
}

impl Listing {
    fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("in namespace {ns:?}"),
            None => "in all namespaces".to_owned(),
        }
    }
}

/// Read the records `request` needs.
///
/// # Errors
/// An unusable kubeconfig, an unreachable cluster, or an API error (401, 403, 404, 5xx).
pub async fn load(spec: &ClusterSpec, config: &Config, request: Request<'_>) -> Result<Loaded> {
    let target = connect(spec).await?;
    let all_namespaces = match request {
        Request::All { all_namespaces, .. } => all_namespaces,
        Request::Neighbours { namespace, .. } => namespace.is_none(),
        Request::Release(_) => false,
    };
    let namespace = match request {
        Request::Neighbours {
            namespace: Some(namespace),
            ..
        } => namespace.to_owned(),
        _ => target.namespace.clone(),
    };
    let listing = Listing {
        resource: match spec.driver {
            StorageDriver::Secret => "secrets",
            StorageDriver::ConfigMap => "configmaps",
        },
        namespace: (!all_namespaces).then(|| namespace.clone()),
        selector: match request {
            Request::Release(name) => format!("owner=helm,name={name}"),
            // Helm's selector has no "not" for one release: it is left out after the LIST.
            Request::All { .. } | Request::Neighbours { .. } => "owner=helm".to_owned(),
        },
    };
    // Through the typed API a Secret's data is already base64-decoded once: what is left is
    // Helm's own base64 text, as in a ConfigMap.
    let mut decoded = Decoded::default();
    // `list` needs only the newest record of each release: the others stay encoded.
    let newest = matches!(request, Request::All { newest: true, .. });
    match (spec.driver, request) {
        (
            StorageDriver::Secret,
            Request::Neighbours {
                except, names: n, ..
            },
        ) => {
            let search = Search::new(except, n, &config.limits);
            decoded =
                neighbours(&target, &listing, &search, Driver::Secret, secret_payload).await?;
        }
        (
            StorageDriver::ConfigMap,
            Request::Neighbours {
                except, names: n, ..
            },
        ) => {
            let search = Search::new(except, n, &config.limits);
            decoded = neighbours(
                &target,
                &listing,
                &search,
                Driver::ConfigMap,
                config_map_payload,
            )
            .await?;
        }
        (StorageDriver::Secret, _) => {
            for s in &list_kept::<Secret>(&target, &listing, newest).await? {
                decoded.add(s, secret_payload(s), Driver::Secret, &config.limits);
            }
        }
        (StorageDriver::ConfigMap, _) => {
            for c in &list_kept::<ConfigMap>(&target, &listing, newest).await? {
                decoded.add(c, config_map_payload(c), Driver::ConfigMap, &config.limits);
            }
        }
    }
    let mut origin = if all_namespaces {
        format!("all namespaces ({})", target.source)
    } else {
        format!("namespace {namespace:?} ({})", target.source)
    };
    if let Some(tiller_ns) = &spec.tiller_namespace {
        // Tiller released into any namespace: filter only when one was asked for.
        let wanted = match request {
            _ if all_namespaces => None,
            Request::Release(_) if spec.namespace.is_none() => None,
            Request::Neighbours { namespace, .. } => namespace,
            _ => Some(target.namespace.as_str()),
        };
        load_tiller(
            &target,
            tiller_ns,
            request,
            wanted,
            &config.limits,
            &mut decoded,
        )
        .await?;
        origin.push_str(&format!(" and Tiller's records in namespace {tiller_ns:?}"));
    }
    let other_driver = match request {
        Request::Release(_) if decoded.records.is_empty() && decoded.errors.is_empty() => {
            other_driver(&target, spec.driver, &listing).await
        }
        _ => None,
    };
    let histories = group(decoded.records, decoded.errors);
    Ok(Loaded {
        histories,
        ignored: Vec::new(),
        origin,
        cluster: Some(Connection::new(target)),
        other_releases: Vec::new(),
        others_complete: false,
        other_driver,
        tiller: spec.tiller_namespace.is_some(),
    })
}

/// A release with no record in the configured storage kind may be stored in the other one
/// (`--driver configmap` forgotten): one LIST of the other kind with the same selector says.
/// Any error (RBAC, say) only means there is no hint.
async fn other_driver(
    target: &Target,
    driver: StorageDriver,
    listing: &Listing,
) -> Option<(&'static str, usize)> {
    let (resource, flag) = match driver {
        StorageDriver::Secret => ("configmaps", "configmap"),
        StorageDriver::ConfigMap => ("secrets", "secret"),
    };
    let other = Listing {
        resource,
        namespace: listing.namespace.clone(),
        selector: listing.selector.clone(),
    };
    let count = match driver {
        StorageDriver::Secret => count_all::<ConfigMap>(target, &other).await.ok()?,
        StorageDriver::ConfigMap => count_all::<Secret>(target, &other).await.ok()?,
    };
    (count > 0).then_some((flag, count))
}

/// Tiller's records of `request`: one LIST of ConfigMaps (Tiller's default driver) and one of
/// Secrets (`--storage=secret`) in `tiller_ns`, keeping the releases of namespace `wanted`.
async fn load_tiller(
    target: &Target,
    tiller_ns: &str,
    request: Request<'_>,
    wanted: Option<&str>,
    limits: &Limits,
    decoded: &mut Decoded,
) -> Result<()> {
    let selector = match request {
        Request::Release(name) => format!("OWNER=TILLER,NAME={name}"),
        Request::Neighbours { except, names, .. } => {
            let (held, _) = HeldTiller::read(target, tiller_ns, wanted, limits).await?;
            held.mentioning(&Search::new(except, names, limits), decoded);
            return Ok(());
        }
        Request::All { .. } => "OWNER=TILLER".to_owned(),
    };
    // `list` needs only the newest record of each release, as for Helm 3's records.
    let newest = matches!(request, Request::All { newest: true, .. });
    let mut tiller = Decoded::default();
    let (config_maps, secrets) = list_tiller(target, tiller_ns, selector).await?;
    tiller.add_tiller(
        config_maps,
        newest,
        config_map_payload,
        Driver::ConfigMap,
        limits,
    );
    tiller.add_tiller(secrets, newest, secret_payload, Driver::Secret, limits);
    if let Some(ns) = wanted {
        tiller.records.retain(|r| r.storage_namespace() == ns);
    }
    decoded.records.append(&mut tiller.records);
    decoded.errors.append(&mut tiller.errors);
    Ok(())
}

/// Tiller's ConfigMaps (its default driver) and Secrets (`--storage=secret`) in `tiller_ns`
/// that `selector` picks: one paginated LIST of each.
async fn list_tiller(
    target: &Target,
    tiller_ns: &str,
    selector: String,
) -> Result<(Vec<ConfigMap>, Vec<Secret>)> {
    let listing = |resource| Listing {
        resource,
        namespace: Some(tiller_ns.to_owned()),
        selector: selector.clone(),
    };
    let config_maps = list_all::<ConfigMap>(target, &listing("configmaps")).await?;
    let secrets = list_all::<Secret>(target, &listing("secrets")).await?;
    Ok((config_maps, secrets))
}

/// Tiller's storage objects of one kind grouped by release ([`tiller_releases`]), as held.
fn held_as<K: kube::Resource>(
    objects: Vec<K>,
    object: fn(K) -> TillerObject,
) -> Vec<Revisions<TillerObject>> {
    let releases = tiller_releases(objects).into_iter();
    let held = |release: Revisions<K>| release.into_iter().map(|(v, o)| (v, object(o))).collect();
    releases.map(held).collect()
}

/// Tiller's records grouped by the release they claim ([`by_claimed_release`]).
fn tiller_releases<K: kube::Resource>(objects: Vec<K>) -> Vec<Revisions<K>> {
    by_claimed_release(objects, |object| {
        let claimed = tiller::claimed_release(Some(&object.name_any()), object.labels());
        (object.namespace().unwrap_or_default(), claimed)
    })
}

/// One of Tiller's storage objects.
enum TillerObject {
    ConfigMap(ConfigMap),
    Secret(Secret),
}

impl StoredTiller for TillerObject {
    fn decode(&self, limits: &Limits) -> Result<Record, DecodeError> {
        match self {
            TillerObject::ConfigMap(c) => {
                decode_object(c, config_map_payload(c), Driver::ConfigMap, limits)
            }
            TillerObject::Secret(s) => decode_object(s, secret_payload(s), Driver::Secret, limits),
        }
    }

    fn payload(&self) -> Option<&[u8]> {
        match self {
            TillerObject::ConfigMap(c) => config_map_payload(c),
            TillerObject::Secret(s) => secret_payload(s),
        }
    }
}

impl HeldTiller<TillerObject> {
    /// Tiller's records in `tiller_ns`, as [`load_tiller`] lists them, placed by release; only
    /// the releases of namespace `wanted` are kept. With the number of objects listed.
    async fn read(
        target: &Target,
        tiller_ns: &str,
        wanted: Option<&str>,
        limits: &Limits,
    ) -> Result<(Self, usize)> {
        let selector = "OWNER=TILLER".to_owned();
        let (config_maps, secrets) = list_tiller(target, tiller_ns, selector).await?;
        let listed = config_maps.len() + secrets.len();
        let mut held = HeldTiller::default();
        let config_maps = held_as(config_maps, TillerObject::ConfigMap);
        held.place_all(config_maps, wanted, limits);
        held.place_all(held_as(secrets, TillerObject::Secret), wanted, limits);
        Ok((held, listed))
    }

    /// [`Request::Neighbours`] of Tiller's records, into `decoded`: the releases but
    /// `search.except` of which a record may mention one of the names, decoded, as pass 2 of
    /// [`neighbours`] decodes Helm 3's; the others are dropped undecoded (a record that cannot
    /// be unpacked may mention anything). The errors of releases that could not be placed are
    /// kept, as when every record was decoded.
    fn mentioning(self, search: &Search<'_>, decoded: &mut Decoded) {
        decoded.errors.extend(self.unplaced);
        for (id, objects) in self.releases {
            let may = |o: &TillerObject| {
                o.payload()
                    .is_none_or(|p| search.names.may_be_in_payload(p, &search.searching))
            };
            if id == *search.except || !objects.iter().any(may) {
                continue;
            }
            for object in &objects {
                decoded.push(object.decode(search.limits));
            }
        }
    }
}

/// Every Pod of `namespace`, in one paginated LIST without a label selector (Helm puts no
/// label of its own on the pods of a release; they are matched to its workloads by owner).
///
/// # Errors
/// As [`load`]: an unusable kubeconfig, an unreachable cluster, or an API error (a 403 names
/// the `list` permission on `pods` that is missing).
pub async fn list_pods(spec: &ClusterSpec, namespace: &str) -> Result<Vec<Pod>> {
    let target = connect(spec).await?;
    let listing = Listing {
        resource: "pods",
        namespace: Some(namespace.to_owned()),
        selector: String::new(),
    };
    list_all::<Pod>(&target, &listing).await
}

/// The `release` value of a Secret read through the typed API, where `data` is already
/// base64-decoded once: what is left is Helm's own base64 text, as in a ConfigMap.
fn secret_payload(s: &Secret) -> Option<&[u8]> {
    let payload = s.data.as_ref().and_then(|d| d.get("release"));
    payload.map(|b| b.0.as_slice())
}

/// The `release` value of a ConfigMap.
fn config_map_payload(c: &ConfigMap) -> Option<&[u8]> {
    let payload = c.data.as_ref().and_then(|d| d.get("release"));
    payload.map(String::as_bytes)
}

/// Release names per LIST of pass 2 of [`neighbours`] (`name in (…)` stays a short URL).
const NAMES_PER_LIST: usize = 100;

/// What pass 1 of [`neighbours`] looks for.
struct Search<'a> {
    /// The release whose records are not wanted (already read).
    except: &'a ReleaseId,
    names: &'a Mentions,
    /// The run's limits, to decode.
    limits: &'a Limits,
    /// The same limits with a budget of their own, to search: searching keeps nothing and
    /// gives back what each record drew ([`Mentions::may_be_in_payload`]), so the run's
    /// budget is left whole for what pass 2 decodes.
    searching: Limits,
}

impl<'a> Search<'a> {
    fn new(except: &'a ReleaseId, names: &'a Mentions, limits: &'a Limits) -> Self {
        Search {
            except,
            names,
            limits,
            searching: limits.clone().with_run_budget(limits.budget.total()),
        }
    }
}

/// The `name` labels of the `objects` whose payload may mention one of `names` (searched
/// within `limits`), on every core.
fn search_page<K: kube::Resource + Sync>(
    objects: &[K],
    payload: fn(&K) -> Option<&[u8]>,
    names: &Mentions,
    limits: &Limits,
) -> Vec<String> {
    let may = |object: &K| {
        let name = object.labels().get("name")?;
        // No payload: pass 2 reports the record as it reports any undecodable one.
        payload(object)
            .is_none_or(|p| names.may_be_in_payload(p, limits))
            .then(|| name.clone())
    };
    map_chunks(objects, cores(), |part| {
        part.iter().filter_map(may).collect()
    })
}

/// The records of [`Request::Neighbours`], in two passes.
///
/// Pass 1 lists the namespace's records (every namespace's, when the listing names none) page
/// by page and keeps none: each payload is peeled and searched for the names
/// ([`Mentions::may_be_in_payload`]), then dropped, so memory holds one page. Pass 2 lists only
/// the releases found, with the label selector `owner=helm,name in (…)` that Helm's `name`
/// label allows, and decodes them (across namespaces, a release of the same name elsewhere
/// comes too; its manifests rule it out). Keeping the payloads of pass 1 instead would save
/// that small LIST, but which to keep is known only when the LIST ends (the revision that
/// deletes an object does not mention it; an earlier one does), so it would hold the
/// namespace's payloads. Records without a `name` label, which no selector can ask for
/// again, are decoded in pass 1 (as when every record was decoded) and tested on their
/// manifests.
async fn neighbours<K>(
    target: &Target,
    listing: &Listing,
    search: &Search<'_>,
    driver: Driver,
    payload: fn(&K) -> Option<&[u8]>,
) -> Result<Decoded>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut unlabelled = Decoded::default();
    let mut page = fetch_page::<K>(target, listing, None).await?;
    loop {
        let (objects, next) = page;
        let mut candidates = Vec::new();
        for object in objects {
            let excepted = |name: &String| {
                *name == search.except.name
                    && object.meta().namespace.as_deref() == Some(&search.except.namespace)
            };
            match object.labels().get("name") {
                Some(name) if excepted(name) || needed.contains(name) => {}
                Some(_) => candidates.push(object),
                None => unlabelled.add(&object, payload(&object), driver, search.limits),
            }
        }
        // The page is searched on worker threads while the next one is fetched.
        let (names, limits) = (search.names.clone(), search.searching.clone());
        let searching =
            tokio::task::spawn_blocking(move || search_page(&candidates, payload, &names, &limits));
        let following = match next {
            Some(token) => Some(fetch_page::<K>(target, listing, Some(&token)).await),
            None => None,
        };
        match searching.await {
            Ok(found) => needed.extend(found),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(e.into()),
        }
        match following {
            Some(next) => page = next?,
            None => break,
        }
    }
    needed.extend(
        unlabelled
            .records
            .iter()
            .filter(|r| {
                let own = r.storage_namespace() == search.except.namespace
                    && r.release.name == search.except.name;
                !own && search.names.in_release(&r.release)
            })
            .map(|r| r.release.name.clone()),
    );
    let mut decoded = Decoded::default();
    let needed: Vec<&String> = needed.iter().collect();
    for names in needed.chunks(NAMES_PER_LIST) {
        let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        let again = Listing {
            resource: listing.resource,
            namespace: listing.namespace.clone(),
            selector: format!("owner=helm,name in ({})", names.join(",")),
        };
        for object in list_all::<K>(target, &again).await? {
            decoded.add(&object, payload(&object), driver, search.limits);
        }
    }
    // An unlabelled record of a release not found is not needed: none of its records
    // mentions a name.
    let needed: BTreeSet<&str> = needed.iter().map(|n| n.as_str()).collect();
    unlabelled
        .records
        .retain(|r| needed.contains(r.release.name.as_str()));
    decoded.records.append(&mut unlabelled.records);
    decoded.errors.append(&mut unlabelled.errors);
    Ok(decoded)
}

/// The objects of one LIST that `list` keeps, in the LIST's order: those with the highest
/// `version` label of each release (namespace and `name` label; all of them, so that a
/// duplicate is reported) and every object without those labels (decoded to be reported).
/// Older records are dropped page by page, so `list` holds a record per release, not the
/// namespace's records.
struct Kept<K> {
    /// How many objects were offered: each kept one's position.
    offered: usize,
    by_release: BTreeMap<(String, String), Newest<K>>,
    others: Vec<(usize, K)>,
}

/// The records of one release's highest `version` label so far, with their positions.
struct Newest<K> {
    version: u64,
    objects: Vec<(usize, K)>,
}

impl<K: kube::Resource> Kept<K> {
    fn new() -> Self {
        Kept {
            offered: 0,
            by_release: BTreeMap::new(),
            others: Vec::new(),
        }
    }

    fn offer(&mut self, object: K) {
        let at = self.offered;
        self.offered += 1;
        let name = object.labels().get("name").cloned();
        let version = object
            .labels()
            .get("version")
            .and_then(|v| v.parse::<u64>().ok());
        let (Some(name), Some(version)) = (name, version) else {
            self.others.push((at, object));
            return;
        };
        let release = (object.namespace().unwrap_or_default(), name);
        let newest = self.by_release.entry(release).or_insert_with(|| Newest {
            version,
            objects: Vec::new(),
        });
        if version > newest.version {
            newest.version = version;
            newest.objects.clear();
        }
        if version == newest.version {
            newest.objects.push((at, object));
        }
    }

    fn into_objects(self) -> Vec<K> {
        let mut kept: Vec<(usize, K)> = self
            .by_release
            .into_values()
            .flat_map(|newest| newest.objects)
            .chain(self.others)
            .collect();
        kept.sort_by_key(|(at, _)| *at);
        kept.into_iter().map(|(_, object)| object).collect()
    }
}

/// Records and decode errors, as `history::group` takes them.
#[derive(Default)]
struct Decoded {
    records: Vec<Record>,
    errors: Vec<DecodeError>,
    /// Each chart text once across the records kept.
    files: helm_why_release::model::ChartFiles,
}

impl Decoded {
    /// Decode Tiller's records: every one, or when `newest` each release's
    /// ([`tiller_releases`]) as [`tiller::decode_newest_placing`] picks them, as the file reader
    /// does.
    fn add_tiller<K: kube::Resource>(
        &mut self,
        objects: Vec<K>,
        newest: bool,
        payload: fn(&K) -> Option<&[u8]>,
        driver: Driver,
        limits: &Limits,
    ) {
        if !newest {
            for object in &objects {
                self.add(object, payload(object), driver, limits);
            }
            return;
        }
        for release in tiller_releases(objects) {
            let decode = |object: K| {
                let decoded = self.records.len();
                self.add(&object, payload(&object), driver, limits);
                self.records.len() > decoded
            };
            tiller::decode_newest_placing(release, decode, || {});
        }
    }

    /// Decode the record a storage object holds ([`decode_object`]).
    fn add(
        &mut self,
        object: &impl kube::Resource,
        payload: Option<&[u8]>,
        driver: Driver,
        limits: &Limits,
    ) {
        self.push(decode_object(object, payload, driver, limits));
    }

    /// Keep a decoded record (its chart texts shared with the others'), or its error.
    fn push(&mut self, decoded: Result<Record, DecodeError>) {
        match decoded {
            Ok(mut record) => {
                self.files.share(&mut record.release);
                self.records.push(record);
            }
            Err(error) => self.errors.push(error),
        }
    }
}

/// Decode the record a storage object holds (Tiller's by its `OWNER=TILLER` label); objects
/// without a `release` key are decode errors, as they are in files.
fn decode_object(
    object: &impl kube::Resource,
    payload: Option<&[u8]>,
    driver: Driver,
    limits: &Limits,
) -> Result<Record, DecodeError> {
    let (name, namespace) = (object.name_any(), object.namespace().unwrap_or_default());
    let reference = RecordRef::cluster(&namespace).with_object(name.clone());
    let Some(payload) = payload else {
        let kind = if driver == Driver::Secret {
            "Secret"
        } else {
            "ConfigMap"
        };
        let detail = format!("the {kind} has no `release` key in its data");
        return Err(DecodeError::new(reference, Layer::Object, detail));
    };
    let labels = object.labels().clone();
    let tiller = tiller::is_tiller(&labels);
    let meta = RecordMeta::object(driver, reference, Some(name), Some(namespace), labels);
    if tiller {
        tiller::decode_tiller_record(payload, meta, limits)
    } else {
        decode_record(payload, meta, limits)
    }
}

/// Decode a page of storage objects on every core ([`decode_object`]), in the page's order.
fn decode_page<K: kube::Resource + Sync>(
    page: &[K],
    payload: impl Fn(&K) -> Option<&[u8]> + Sync,
    driver: Driver,
    limits: &Limits,
) -> Vec<Result<Record, DecodeError>> {
    map_chunks(page, cores(), |part| {
        part.iter()
            .map(|o| decode_object(o, payload(o), driver, limits))
            .collect()
    })
}

/// Every page of one LIST, following `continue` tokens.
async fn list_all<K>(target: &Target, listing: &Listing) -> Result<Vec<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut all = Vec::new();
    each_page::<K>(target, listing, |page| all.extend(page)).await?;
    Ok(all)
}

/// How many objects one LIST finds, page by page (none is kept).
async fn count_all<K>(target: &Target, listing: &Listing) -> Result<usize>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut count = 0;
    each_page::<K>(target, listing, |page| count += page.len()).await?;
    Ok(count)
}

/// The objects of one LIST: every one, or when `newest` the newest records of each release
/// ([`Kept`]), chosen as the pages come.
async fn list_kept<K>(target: &Target, listing: &Listing, newest: bool) -> Result<Vec<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if !newest {
        return list_all(target, listing).await;
    }
    let mut kept = Kept::new();
    each_page::<K>(target, listing, |page| {
        for object in page {
            kept.offer(object);
        }
    })
    .await?;
    Ok(kept.into_objects())
}

/// Every page of one LIST, following `continue` tokens, handed to `each` as it comes.
async fn each_page<K>(
    target: &Target,
    listing: &Listing,
    mut each: impl FnMut(Vec<K>),
) -> Result<()>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut token = None;
    loop {
        let (page, next) = fetch_page::<K>(target, listing, token.as_deref()).await?;
        each(page);
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
}

/// One page of a LIST, from `token` (`None`: the first page), with the token of the next
/// page. A page the server asks to retry (429, 503, 504) is retried a few times; a server
/// sending the same token again is an error rather than an endless loop.
async fn fetch_page<K>(
    target: &Target,
    listing: &Listing,
    token: Option<&str>,
) -> Result<(Vec<K>, Option<String>)>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = match &listing.namespace {
        Some(ns) => Api::namespaced(target.client.clone(), ns),
        None => Api::all(target.client.clone()),
    };
    let mut retries = 0;
    loop {
        let mut params = ListParams::default()
            .labels(&listing.selector)
            .limit(PAGE_SIZE);
        if let Some(t) = token {
            params = params.continue_token(t);
        }
        let page = match api.list(&params).await {
            Ok(page) => page,
            Err(kube::Error::Api(s)) if matches!(s.code, 429 | 503 | 504) && retries < RETRIES => {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(100 << retries)).await;
                continue;
            }
            Err(e) => return Err(request_error(e, target, listing).into()),
        };
        let next = page.metadata.continue_.filter(|t| !t.is_empty());
        if next.is_some() && next.as_deref() == token {
            let what = format!("{} {}", listing.resource, listing.scope());
            let msg = format!("the API server sent the same continue token twice listing {what}");
            return Err(UserError::new(msg).into());
        }
        return Ok((page.items, next));
    }
}

/// Every record of every release (of the release namespace, or of all with `all_namespaces`),
/// read one LIST page at a time (the next page is asked for while one is decoded) so that
/// memory holds about two pages and the releases being analysed rather than the cluster's
/// records. The API server lists in storage-key order (namespace, then name), and a
/// release's records are named `sh.helm.release.v1.<release>.v<N>`, so once the LIST moves
/// past a release its records are complete: [`ReleaseStream::next`] hands it over (grouped as
/// [`group`] does) before more is read. A server that breaks that order, or dotted release
/// names whose records interleave (`app` and `app.v2`), are detected ([`Batch::OutOfOrder`]).
/// With `--tiller`, Tiller's records are listed first and held undecoded:
/// each Helm 3 release takes those that continue it as it is handed over, and the releases
/// only Tiller stores follow once the LIST is over, one at a time.
pub struct ReleaseStream {
    connection: Connection,
    listing: Listing,
    driver: StorageDriver,
    limits: Limits,
    pages: Pages,
    releases: Adjacent,
    ready: std::collections::VecDeque<helm_why_release::Histories>,
    out_of_order: Option<NotAdjacent>,
    /// Tiller's records not handed over yet, with `--tiller`.
    tiller: Option<HeldTiller<TillerObject>>,
    /// Tiller's namespace, with `--tiller`.
    tiller_namespace: Option<String>,
    /// Storage objects listed so far.
    pub records: usize,
}

impl ReleaseStream {
    /// Connect; nothing is listed until [`ReleaseStream::next`].
    ///
    /// # Errors
    /// As [`load`].
    pub async fn open(spec: &ClusterSpec, config: &Config, all_namespaces: bool) -> Result<Self> {
        let target = connect(spec).await?;
        let listing = Listing {
            resource: match spec.driver {
                StorageDriver::Secret => "secrets",
                StorageDriver::ConfigMap => "configmaps",
            },
            namespace: (!all_namespaces).then(|| target.namespace.clone()),
            selector: "owner=helm".to_owned(),
        };
        let (tiller, listed) = match &spec.tiller_namespace {
            Some(tiller_ns) => {
                let wanted = listing.namespace.as_deref();
                let (held, listed) =
                    HeldTiller::read(&target, tiller_ns, wanted, &config.limits).await?;
                (Some(held), listed)
            }
            None => (None, 0),
        };
        Ok(ReleaseStream {
            connection: Connection::new(target),
            listing,
            driver: spec.driver,
            limits: config.limits.clone(),
            pages: Pages::NotAsked,
            releases: Adjacent::default(),
            ready: Default::default(),
            out_of_order: None,
            records: listed,
            tiller,
            tiller_namespace: spec.tiller_namespace.clone(),
        })
    }

    /// `all namespaces (context kind-dev)`, for messages.
    pub fn origin(&self) -> String {
        let source = &self.connection.target.source;
        let mut origin = match &self.listing.namespace {
            None => format!("all namespaces ({source})"),
            Some(ns) => format!("namespace {ns:?} ({source})"),
        };
        if let Some(tiller_ns) = &self.tiller_namespace {
            origin.push_str(&format!(" and Tiller's records in namespace {tiller_ns:?}"));
        }
        origin
    }

    /// The next release; `None` when the LIST is over.
    ///
    /// # Errors
    /// As [`load`].
    pub async fn next(&mut self) -> Result<Option<Batch>> {
        loop {
            if let Some(why) = self.out_of_order.take() {
                return Ok(Some(Batch::OutOfOrder(why.to_string())));
            }
            if let Some(h) = self.ready.pop_front() {
                return Ok(Some(Batch::Releases(h)));
            }
            let (page, next) = match std::mem::replace(&mut self.pages, Pages::Over) {
                Pages::Over => {
                    let (releases, tiller) = (&mut self.releases, &mut self.tiller);
                    let limits = &self.limits;
                    let mut join = |id: &ReleaseId| HeldTiller::join(tiller, id, limits);
                    self.ready.extend(releases.finish_joining(&mut join));
                    if self.ready.is_empty()
                        && let Some(tiller) = &mut self.tiller
                    {
                        // The releases only Tiller stores, one at a time.
                        let limits = self.limits.clone();
                        let some = tiller.take();
                        let decoded = tokio::task::spawn_blocking(move || some.decode(&limits));
                        match decoded.await {
                            Ok(Some(histories)) => {
                                let handed = |id: &ReleaseId| self.releases.has_read(id);
                                match tiller.check_handed(&histories, handed) {
                                    Ok(()) => self.ready.extend(histories),
                                    Err(why) => self.out_of_order = Some(why),
                                }
                            }
                            Ok(None) => self.tiller = None,
                            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                            Err(e) => return Err(e.into()),
                        }
                        continue;
                    }
                    return Ok(self.ready.pop_front().map(Batch::Releases));
                }
                Pages::NotAsked => {
                    StoragePage::fetch(self.driver, &self.connection.target, &self.listing, None)
                        .await?
                }
                Pages::Ahead(fetched) => fetched?,
            };
            // The page is decoded on the other threads while the next one is requested: the
            // API server's time (and the network's) overlaps the decoding. A failure of the
            // next page is reported when the stream reaches it, as before.
            let limits = self.limits.clone();
            let decoding = tokio::task::spawn_blocking(move || page.decode(&limits));
            let reading_ahead = async {
                match next {
                    Some(token) => Some(
                        StoragePage::fetch(
                            self.driver,
                            &self.connection.target,
                            &self.listing,
                            Some(&token),
                        )
                        .await,
                    ),
                    None => None,
                }
            };
            let (decoded, ahead) = tokio::join!(decoding, reading_ahead);
            let decoded = match decoded {
                Ok(decoded) => decoded,
                // A panic while decoding stays a panic, as when the page was decoded here.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(e.into()),
            };
            self.pages = ahead.map_or(Pages::Over, Pages::Ahead);
            self.records += decoded.len();
            let (releases, tiller) = (&mut self.releases, &mut self.tiller);
            let limits = &self.limits;
            let mut join = |id: &ReleaseId| HeldTiller::join(tiller, id, limits);
            for one in decoded {
                match releases.push_joining(one, &mut join) {
                    Ok(finished) => self.ready.extend(finished),
                    Err(why) => {
                        self.out_of_order = Some(why);
                        break;
                    }
                }
            }
        }
    }

    /// The connection, to discover kinds and look at live objects.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The connection, for the questions asked after the LIST (live objects).
    pub fn into_connection(self) -> Connection {
        self.connection
    }
}

/// Where a [`ReleaseStream`]'s LIST stands.
enum Pages {
    /// No page asked for yet.
    NotAsked,
    /// The next page (or the failure to read it), asked for while the one before it was
    /// decoded.
    Ahead(Result<(StoragePage, Option<String>)>),
    /// Every page read, or the LIST failed.
    Over,
}

/// One page of a LIST of Helm's storage objects.
enum StoragePage {
    Secrets(Vec<Secret>),
    ConfigMaps(Vec<ConfigMap>),
}

impl StoragePage {
    /// The page at `token` (`None`: the first), and the token of the page after it.
    async fn fetch(
        driver: StorageDriver,
        target: &Target,
        listing: &Listing,
        token: Option<&str>,
    ) -> Result<(StoragePage, Option<String>)> {
        Ok(match driver {
            StorageDriver::Secret => {
                let (page, next) = fetch_page::<Secret>(target, listing, token).await?;
                (StoragePage::Secrets(page), next)
            }
            StorageDriver::ConfigMap => {
                let (page, next) = fetch_page::<ConfigMap>(target, listing, token).await?;
                (StoragePage::ConfigMaps(page), next)
            }
        })
    }

    /// Its records, decoded on every core, in the page's order.
    fn decode(&self, limits: &Limits) -> Vec<Result<Record, DecodeError>> {
        match self {
            StoragePage::Secrets(page) => decode_page(page, secret_payload, Driver::Secret, limits),
            StoragePage::ConfigMaps(page) => {
                decode_page(page, config_map_payload, Driver::ConfigMap, limits)
            }
        }
    }
}

/// Turn a failed LIST into a message that says what to do.
fn request_error(err: kube::Error, target: &Target, listing: &Listing) -> UserError {
    let (resource, scope, server) = (listing.resource, listing.scope(), &target.server);
    let status = match err {
        kube::Error::Api(status) => status,
        kube::Error::Auth(e) => {
            return UserError::with_hint(
                format!("cannot authenticate with {}: {e}", target.source),
                "check the kubeconfig user (its token, certificate or exec plugin)",
            );
        }
        other => return transport_error(&other, target),
    };
    let said = Some(&status.message)
        .filter(|m| !m.is_empty())
        .map_or(String::new(), |m| format!(": {m}"));
    match (status.code, &listing.namespace) {
        (401, _) => UserError::with_hint(
            format!(
                "the cluster refused the credentials of {} (401 Unauthorized)",
                target.source
            ),
            "check the kubeconfig user: its token or certificate may have expired (try `kubectl auth whoami`)",
        ),
        (403, ns) => {
            let (role, flag) = match ns {
                Some(ns) => (format!("a Role in namespace {ns}"), format!("-n {ns}")),
                None => ("a ClusterRole".to_owned(), "--all-namespaces".to_owned()),
            };
            UserError::with_hint(
                format!("forbidden: helm-why needs list on {resource} {scope}{said}"),
                format!(
                    "grant {role} with verbs [get, list] on resource {resource} (apiGroup \"\"); \
                     check with `kubectl auth can-i list {resource} {flag}`"
                ),
            )
        }
        (404, Some(ns)) => UserError::with_hint(
            format!("namespace {ns:?} not found ({}, {server})", target.source),
            "check -n/--namespace and --context",
        ),
        (code @ 500..=599, _) => UserError::with_hint(
            format!("the API server at {server} failed to list {resource} {scope} ({code}{said})"),
            "the cluster is unhealthy or overloaded; retry later, or check `kubectl get --raw /readyz`",
        ),
        (code, _) => UserError::new(format!(
            "the API server at {server} refused to list {resource} {scope} ({code} {}{said})",
            status.reason
        )),
    }
}

/// The cluster could not be reached at all.
fn transport_error(err: &kube::Error, target: &Target) -> UserError {
    let mut cause: &(dyn std::error::Error + 'static) = err;
    loop {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return UserError::with_hint(
                format!(
                    "cannot connect to the cluster at {}: connection refused",
                    target.server
                ),
                format!(
                    "is the cluster running, and is the server URL of {} right?",
                    target.source
                ),
            );
        }
        match cause.source() {
            Some(inner) => cause = inner,
            None => break,
        }
    }
    UserError::with_hint(
        format!("cannot reach the cluster at {}: {cause}", target.server),
        format!("check the network and the server URL of {}", target.source),
    )
}

/// Resolve the kubeconfig, context and namespace, and build a client.
async fn connect(spec: &ClusterSpec) -> Result<Target> {
    let (mut config, source) = match kubeconfig_paths(spec.kubeconfig.as_deref()) {
        Some(paths) => {
            let kubeconfig = read_kubeconfigs(&paths)?;
            let context = pick_context(&kubeconfig, spec.context.as_deref())?;
            let options = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| {
                    UserError::with_hint(
                        format!("invalid kubeconfig for context {context}: {e}"),
                        format!("check it with `kubectl config view --minify --context {context}`"),
                    )
                })?;
            (config, format!("context {context}"))
        }
        None => {
            let home = default_kubeconfig().unwrap_or_else(|| "~/.kube/config".into());
            let config = kube::Config::incluster().map_err(|_| {
                UserError::with_hint(
                    format!(
                        "no kubeconfig: {} does not exist and helm-why is not running inside a cluster",
                        home.display()
                    ),
                    "pass --kubeconfig FILE or set KUBECONFIG, or read exported records with --from FILE",
                )
            })?;
            (config, "in-cluster".to_owned())
        }
    };
    // Fail fast: kube's default retry policy can back off for minutes; list_all retries.
    config.default_retry = false;
    // Audit logs name the tool that read the Secrets.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(USER_AGENT),
    ));
    config.read_timeout = Some(Duration::from_secs(60));
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let namespace = spec
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = kube::Client::try_from(config).map_err(|e| {
        UserError::with_hint(
            format!("cannot set up a client for {source}: {e}"),
            "check the certificates and user of the context in the kubeconfig",
        )
    })?;
    Ok(Target {
        client,
        namespace,
        source,
        server,
    })
}

/// Every context of the kubeconfig, in its order (`scan --all-contexts`).
///
/// # Errors
/// No kubeconfig, or one that cannot be read.
pub fn context_names(spec: &ClusterSpec) -> Result<Vec<String>> {
    let Some(paths) = kubeconfig_paths(spec.kubeconfig.as_deref()) else {
        return Err(UserError::with_hint(
            "--all-contexts needs a kubeconfig, and there is none",
            "pass --kubeconfig FILE or set KUBECONFIG",
        )
        .into());
    };
    let kubeconfig = read_kubeconfigs(&paths)?;
    Ok(kubeconfig.contexts.iter().map(|c| c.name.clone()).collect())
}

/// The kubeconfig files to read (`--kubeconfig`, else `KUBECONFIG`: `list`, else
/// `~/.kube/config`); `None` when there is none and the in-cluster config applies.
pub(crate) fn kubeconfig_paths(list: Option<&str>) -> Option<Vec<PathBuf>> {
    match list {
        Some(list) => {
            let paths: Vec<PathBuf> = std::env::split_paths(list)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            (!paths.is_empty()).then_some(paths)
        }
        None => default_kubeconfig().filter(|p| p.exists()).map(|p| vec![p]),
    }
}

fn default_kubeconfig() -> Option<PathBuf> {
    std::env::home_dir().map(|home| home.join(".kube").join("config"))
}

/// Read and merge the files that exist, the first to set a value winning, as kubectl does.
pub(crate) fn read_kubeconfigs(paths: &[PathBuf]) -> Result<Kubeconfig> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths.iter().filter(|p| p.exists()) {
        let invalid = |e| UserError::new(format!("invalid kubeconfig {}: {e}", path.display()));
        let file = Kubeconfig::read_from(path).map_err(invalid)?;
        merged = Some(match merged {
            Some(m) => m.merge(file).map_err(invalid)?,
            None => file,
        });
    }
    merged.ok_or_else(|| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        UserError::with_hint(
            format!("kubeconfig {} not found", names.join(":")),
            "check --kubeconfig and KUBECONFIG, or read exported records with --from FILE",
        )
        .into()
    })
}

/// `--context`/`HELM_KUBECONTEXT`, else the current context; it must exist.
pub(crate) fn pick_context(kubeconfig: &Kubeconfig, wanted: Option<&str>) -> Result<String> {
    let names: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let available = match names.as_slice() {
        [] => "the kubeconfig defines no context".to_owned(),
        names => format!("contexts in the kubeconfig: {}", names.join(", ")),
    };
    let current = kubeconfig
        .current_context
        .as_deref()
        .filter(|c| !c.is_empty());
    let Some(name) = wanted.filter(|c| !c.is_empty()).or(current) else {
        let hint = format!("pick one with --context NAME ({available})");
        return Err(UserError::with_hint("the kubeconfig has no current context", hint).into());
    };
    if !names.contains(&name) {
        let message = format!("context {name:?} not found in the kubeconfig");
        return Err(UserError::with_hint(message, available).into());
    }
    Ok(name.to_owned())
}

// --- Live objects and API discovery ------------------------------------------------------------

/// Whether the scopes of a group version's kinds come from API discovery: not for
/// Kubernetes' own groups, whose scopes are known.
pub fn needs_discovery(group: &str, version: &str) -> bool {
    !helm_why_release::is_builtin_group(group) && !version.is_empty()
}

/// What discovery answered for one group version: its resources, or why it could not tell.
type Discovered = std::result::Result<Vec<(ApiResource, ApiCapabilities)>, String>;

/// The cluster the records were read from, kept to look at live objects. It only reads:
/// discovery documents and single objects.
pub struct Connection {
    target: Target,
    /// Discovery answers by `apiVersion`: each group version is asked about once per run.
    discovered: Mutex<BTreeMap<String, Discovered>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("source", &self.target.source)
            .field("server", &self.target.server)
            .finish_non_exhaustive()
    }
}

/// What the cluster said about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The object exists.
    Present(LiveObject),
    /// There is no such object.
    Absent,
    /// The object could not be looked at (forbidden, kind not served, …): why.
    Unknown(String),
}

/// What helm-why reads of a live object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveObject {
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.creationTimestamp` (RFC 3339).
    pub created: Option<String>,
    /// The label `app.kubernetes.io/managed-by`.
    pub managed_by: Option<String>,
    /// The annotation `meta.helm.sh/release-name`.
    pub release_name: Option<String>,
    /// The annotation `meta.helm.sh/release-namespace`.
    pub release_namespace: Option<String>,
    /// The annotation `helm.sh/resource-policy`.
    pub resource_policy: Option<String>,
}

impl LiveObject {
    /// Read the fields helm-why compares from an object's metadata.
    fn of(object: &DynamicObject) -> Self {
        let meta = &object.metadata;
        let label = |k: &str| meta.labels.as_ref().and_then(|l| l.get(k)).cloned();
        let annotation = |k: &str| meta.annotations.as_ref().and_then(|a| a.get(k)).cloned();
        LiveObject {
            uid: meta.uid.clone(),
            created: meta
                .creation_timestamp
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            managed_by: label("app.kubernetes.io/managed-by"),
            release_name: annotation("meta.helm.sh/release-name"),
            release_namespace: annotation("meta.helm.sh/release-namespace"),
            resource_policy: annotation(helm_why_release::manifest::RESOURCE_POLICY_ANNOTATION),
        }
    }

    /// Whether it carries the ownership metadata Helm checks before adopting an existing
    /// object into `release` of `namespace`: the label `app.kubernetes.io/managed-by=Helm` and
    /// the annotations `meta.helm.sh/release-name` and `meta.helm.sh/release-namespace`.
    pub fn owned_by(&self, release: &str, namespace: &str) -> bool {
        self.managed_by.as_deref() == Some("Helm")
            && self.release_name.as_deref() == Some(release)
            && self.release_namespace.as_deref() == Some(namespace)
    }
}

impl Connection {
    fn new(target: Target) -> Self {
        Connection {
            target,
            discovered: Mutex::new(BTreeMap::new()),
        }
    }

    /// `context kind-dev`, or `in-cluster`.
    pub fn source(&self) -> &str {
        &self.target.source
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Discovered>> {
        self.discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The resources of one group version (`GET /api/v1` or `/apis/{group}/{version}`), asked
    /// once per run.
    async fn resources(&self, group: &str, version: &str) -> Discovered {
        let gv = GroupVersion::gv(group, version);
        let api_version = gv.api_version();
        if let Some(known) = self.cache().get(&api_version) {
            return known.clone();
        }
        let answer = kube::discovery::pinned_group(&self.target.client, &gv)
            .await
            .map(|g| g.versioned_resources(version))
            .map_err(|e| error_reason(&e, &self.target));
        self.cache().insert(api_version, answer.clone());
        answer
    }

    /// Learn from API discovery whether each kind of `kinds` (group, version, kind) is
    /// namespaced, and tell `scopes`. Kinds of Kubernetes' own groups are known already;
    /// the others cost one discovery request per group version. What discovery cannot tell
    /// (forbidden, not served) is left to the built-in table and `--cluster-scoped`, with a
    /// warning; nothing here fails the command.
    pub async fn discover_scopes(
        &self,
        kinds: &BTreeSet<(String, String, String)>,
        scopes: &mut ScopeResolver,
    ) -> Vec<String> {
        let mut by_gv: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for (group, version, kind) in kinds {
            if needs_discovery(group, version) {
                by_gv.entry((group, version)).or_default().push(kind);
            }
        }
        let mut warnings = Vec::new();
        for ((group, version), kinds) in by_gv {
            let api_version = GroupVersion::gv(group, version).api_version();
            let (served, failure) = match self.resources(group, version).await {
                Ok(resources) => (resources, None),
                Err(reason) => (Vec::new(), Some(reason)),
            };
            let mut unknown = Vec::new();
            for kind in kinds {
                match served.iter().find(|(ar, _)| ar.kind == kind) {
                    Some((_, caps)) => {
                        scopes.add_discovered(group, kind, caps.scope == Scope::Namespaced);
                    }
                    None => unknown.push(kind),
                }
            }
            if unknown.is_empty() {
                continue;
            }
            let assumed: Vec<String> = unknown
                .iter()
                .map(|kind| {
                    let scope = match scopes.scope(group, kind) {
                        helm_why_release::Scope::Namespaced => "namespaced",
                        helm_why_release::Scope::Cluster => "cluster-scoped",
                    };
                    format!("{kind}.{group} is taken as {scope}")
                })
                .collect();
            let why = match failure {
                Some(reason) => format!("API discovery of {api_version} failed ({reason})"),
                None => format!(
                    "the cluster does not serve {} in {api_version}",
                    unknown.join(", ")
                ),
            };
            warnings.push(format!(
                "{why}: {} (--cluster-scoped KIND.GROUP declares a cluster-scoped kind)",
                assumed.join(", ")
            ));
        }
        warnings
    }

    /// Look at each object of `keys` in the cluster: one GET per object (at most 16 in
    /// flight), after the discovery of its group version. An object that cannot be looked at
    /// is [`Observation::Unknown`] with the reason; nothing here fails the command.
    pub async fn observe(&self, keys: &[ResourceKey]) -> Vec<Observation> {
        use futures::StreamExt as _;
        // Each group version is discovered once, before the GETs race for it.
        let versions: BTreeSet<(&str, &str)> = keys
            .iter()
            .map(|k| (k.group.as_str(), k.version.as_str()))
            .collect();
        for (group, version) in versions {
            let _ = self.resources(group, version).await;
        }
        // A bounded number in flight: fast on a big release, gentle on the API server.
        futures::stream::iter(keys)
            .map(|key| self.observe_one(key))
            .buffered(OBSERVE_IN_FLIGHT)
            .collect()
            .await
    }

    async fn observe_one(&self, key: &ResourceKey) -> Observation {
        let resources = match self.resources(&key.group, &key.version).await {
            Ok(r) => r,
            Err(reason) => {
                let api_version = key.api_version();
                return Observation::Unknown(format!("cannot discover {api_version}: {reason}"));
            }
        };
        let Some((ar, caps)) = resources.iter().find(|(ar, _)| ar.kind == key.kind) else {
            return Observation::Unknown(format!(
                "the cluster does not serve {} in {}",
                key.kind,
                key.api_version()
            ));
        };
        let api: Api<DynamicObject> = match (&caps.scope, &key.namespace) {
            (Scope::Namespaced, Some(ns)) => {
                Api::namespaced_with(self.target.client.clone(), ns, ar)
            }
            (Scope::Namespaced, None) => {
                return Observation::Unknown(format!(
                    "{} is namespaced, but the records give {} no namespace",
                    ar.kind, key.name
                ));
            }
            (Scope::Cluster, _) => Api::all_with(self.target.client.clone(), ar),
        };
        match api.get_opt(&key.name).await {
            Ok(Some(object)) => Observation::Present(LiveObject::of(&object)),
            Ok(None) => Observation::Absent,
            Err(e) => Observation::Unknown(error_reason(&e, &self.target)),
        }
    }
}

/// A short reason for a failed discovery or GET: the API server's message and the status code.
fn error_reason(err: &kube::Error, target: &Target) -> String {
    match err {
        kube::Error::Api(status) => {
            let label = match status.code {
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not found",
                500..=599 => "server error",
                _ => status.reason.as_str(),
            };
            match status.message.as_str() {
                "" => format!("{label} ({})", status.code),
                message => format!("{message} ({})", status.code),
            }
        }
        kube::Error::Auth(e) => format!("cannot authenticate: {e}"),
        kube::Error::Discovery(e) => e.to_string(),
        other => transport_error(other, target).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// helm-why never writes: the only Kubernetes API calls in this module are `Api::list`,
    /// `Api::get_opt` and pinned discovery.
    #[test]
    fn only_lists() {
        let source = include_str!("cluster.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        for call in [
            ".create(",
            ".patch(",
            ".replace(",
            ".delete(",
            ".delete_collection(",
            ".evict(",
            ".exec(",
            ".attach(",
            ".portforward(",
            "_subresource(",
            "_status(",
            "_metadata(",
            ".request(",
            ".request_text(",
            "Request::new",
            "http::Request",
            "Method::",
        ] {
            assert!(!code.contains(call), "cluster.rs must not call {call}");
        }
        // Every call on the typed API is a LIST or a GET of one object.
        let mut calls: Vec<&str> = code
            .split("api.")
            .skip(1)
            .map(|rest| &rest[..rest.find('(').unwrap_or(0)])
            .collect();
        calls.sort_unstable();
        calls.dedup();
        assert_eq!(calls, ["get_opt", "list"]);
        // Discovery is pinned to the group versions needed, never a walk of every group.
        assert!(!code.contains("Discovery::new"));
        assert_eq!(code.matches("discovery::pinned_group(").count(), 1);
    }

    #[test]
    fn contexts() {
        let kc = Kubeconfig::from_yaml(
            "contexts:\n- name: a\n  context: {cluster: c}\n- name: b\n  context: {cluster: c}\ncurrent-context: b\n",
        )
        .unwrap();
        assert_eq!(pick_context(&kc, None).unwrap(), "b");
        assert_eq!(pick_context(&kc, Some("")).unwrap(), "b");
        assert_eq!(pick_context(&kc, Some("a")).unwrap(), "a");
        let err = pick_context(&kc, Some("zz")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "context \"zz\" not found in the kubeconfig"
        );
        assert!(pick_context(&Kubeconfig::default(), None).is_err());
    }

    #[test]
    fn tiller_records_decode_and_keyless_objects_are_errors() {
        let object = |labels: &[(&str, &str)]| ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some("sh.helm.release.v1.web.v1".into()),
                namespace: Some("shop".into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| ((*k).into(), (*v).into()))
                        .collect(),
                ),
                ..Default::default()
            },
            ..Default::default()
        };
        let limits = Limits::default();
        let mut decoded = Decoded::default();
        let v1 = tiller::builder::TillerBuilder::new("web", "shop", 1);
        decoded.add(
            &object(&[("OWNER", "TILLER")]),
            Some(v1.payload().as_bytes()),
            Driver::ConfigMap,
            &limits,
        );
        decoded.add(
            &object(&[("OWNER", "TILLER")]),
            Some(b"x"),
            Driver::ConfigMap,
            &limits,
        );
        decoded.add(&object(&[("owner", "helm")]), None, Driver::Secret, &limits);
        let [record] = decoded.records.as_slice() else {
            panic!("{:?}", decoded.records)
        };
        assert_eq!(
            record.meta.format,
            helm_why_release::RecordFormat::TillerProtobuf
        );
        let [tiller, keyless] = decoded.errors.as_slice() else {
            panic!("{:?}", decoded.errors)
        };
        assert_eq!(tiller.layer, Layer::Base64, "{tiller}");
        assert_eq!(keyless.layer, Layer::Object);
        assert_eq!(
            keyless.to_string(),
            "sh.helm.release.v1.web.v1 (namespace/shop): object: the Secret has no `release` key in its data"
        );
    }
}
