//! `helm-why images RELEASE`: every container image of every revision, how mutable its tag
//! is, its pull policy, whether the revision rolled the pods, and the findings; connected to a
//! cluster, also which images the release's pods really run.

use anyhow::Result;
use helm_why_diff::images::{
    ImageFinding, LiveContainer, LivePod, PodOwner, image_history, live_images,
};
use helm_why_diff::{RevisionView, Severity};
use helm_why_release::images::ContainerList;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::{Ui, source_warnings};
use crate::args::{ImagesArgs, MinSeverity};
use crate::config::{Config, SourceSpec};
use crate::error::{UserError, exit};
use crate::render::layout::cut_list;
use crate::report::images::{FindingGroup, FindingPlace, ImagesReport, LiveReport};
use crate::source::cluster::list_pods;
use crate::source::{Request, load, select_release};

/// Run `images`.
///
/// # Errors
/// Source errors, unknown release. A failure to list pods is a warning, not an error: the
/// records still tell most of the story.
pub async fn run(args: &ImagesArgs, config: &Config, ui: &mut Ui<'_>) -> Result<u8> {
    let loaded = load(config, Request::Release(&args.release)).await?;
    let history = select_release(&loaded, &args.release, config.namespace_filter.as_deref())?;
    let mut warnings = source_warnings(&loaded);
    warnings.extend(history.findings.iter().map(ToString::to_string));
    let views: Vec<RevisionView<'_>> =
        RevisionView::parse_all(history.revisions.iter().map(|r| &r.release), &config.scopes);
    for view in &views {
        warnings.extend(view.problems.iter().map(|p| {
            format!(
                "revision {}: document {} ({}) could not be parsed and is ignored: {}",
                view.revision(),
                p.index,
                p.source.as_deref().unwrap_or("no source"),
                p.detail
            )
        }));
    }
    let analysis = image_history(&views);
    let mut report = ImagesReport {
        release: history.id.name.clone(),
        namespace: history.id.namespace.clone(),
        revisions: analysis.revisions,
        findings: analysis.findings,
        finding_groups: Vec::new(),
        live: None,
        warnings,
    };
    let filter = Filter::new(args, &report)?;
    filter.apply_to_records(&mut report);
    // The live pods are about the release now, not about one stored revision.
    if let (SourceSpec::Cluster(spec), None) = (&config.source, args.revision) {
        match list_pods(spec, &history.id.namespace).await {
            Ok(pods) => add_live(&mut report, &pods),
            Err(e) => report.warnings.push(format!(
                "the live pods were not checked: {e:#} (grant list on pods to compare the images \
                 the replicas really run)"
            )),
        }
    }
    filter.apply_to_findings(&mut report.findings);
    if let (Some(live), Some(name)) = (&mut report.live, &args.container) {
        live.groups.retain(|g| &g.container == name);
    }
    report.finding_groups = group_findings(&report.findings);
    crate::render::images::render(&report, ui)?;
    Ok(exit::OK)
}

/// `--container`, `--revision` and `--severity`, checked against the report.
struct Filter<'a> {
    container: Option<&'a str>,
    revision: Option<u64>,
    severity: Severity,
}

impl<'a> Filter<'a> {
    /// # Errors
    /// A container or revision the release does not have.
    fn new(args: &'a ImagesArgs, report: &ImagesReport) -> Result<Self> {
        if let Some(name) = &args.container {
            let mut names: Vec<String> = report
                .revisions
                .iter()
                .flat_map(|r| r.rows.iter().map(|row| row.spec.container.clone()))
                .collect();
            names.sort();
            names.dedup();
            if !names.contains(name) {
                return Err(UserError::with_hint(
                    format!("release {} has no container named {name:?}", report.release),
                    format!("its containers: {}", cut_list(&names, 10)),
                )
                .into());
            }
        }
        if let Some(n) = args.revision
            && !report.revisions.iter().any(|r| r.revision == n)
        {
            return Err(UserError::with_hint(
                format!("release {} has no stored revision {n}", report.release),
                "run `helm-why history` to see the revisions",
            )
            .into());
        }
        Ok(Filter {
            container: args.container.as_deref(),
            revision: args.revision,
            severity: match args.severity {
                None | Some(MinSeverity::Low) => Severity::Low,
                Some(MinSeverity::Medium) => Severity::Medium,
                Some(MinSeverity::High) => Severity::High,
            },
        })
    }

    /// Keep the revisions and rows asked for.
    fn apply_to_records(&self, report: &mut ImagesReport) {
        if let Some(n) = self.revision {
            report.revisions.retain(|r| r.revision == n);
        }
        if let Some(name) = self.container {
            for revision in &mut report.revisions {
                revision.rows.retain(|row| row.spec.container == name);
            }
        }
    }

    /// Keep the findings asked for.
    fn apply_to_findings(&self, findings: &mut Vec<ImageFinding>) {
        findings.retain(|f| {
            f.severity >= self.severity
                && self.container.is_none_or(|c| f.container == c)
                && self.revision.is_none_or(|n| {
                    f.revision.is_some_and(|first| first <= n)
                        && f.last_revision.or(f.revision).is_some_and(|last| n <= last)
                })
        });
    }
}

/// Group findings by cause (code, severity and image), most severe first, then by first
/// revision; within a group one place per workload and container, with its runs of
/// revisions.
pub fn group_findings(findings: &[ImageFinding]) -> Vec<FindingGroup> {
    let mut groups: Vec<FindingGroup> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let group = match groups
            .iter_mut()
            .find(|g| g.code == f.code && g.severity == f.severity && g.image == f.image)
        {
            Some(g) => g,
            None => {
                groups.push(FindingGroup {
                    code: f.code,
                    severity: f.severity,
                    image: f.image.clone(),
                    revision: None,
                    last_revision: None,
                    places: Vec::new(),
                    findings: Vec::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        group.findings.push(i);
        if let Some(first) = f.revision {
            let last = f.last_revision.unwrap_or(first).max(first);
            group.revision = Some(group.revision.map_or(first, |r| r.min(first)));
            group.last_revision = Some(group.last_revision.map_or(last, |r| r.max(last)));
        }
        let place = match group
            .places
            .iter_mut()
            .find(|p| p.workload == *f.workload && p.container == f.container)
        {
            Some(p) => p,
            None => {
                group.places.push(FindingPlace {
                    workload: helm_why_release::ResourceKey::clone(&f.workload),
                    container: f.container.clone(),
                    revisions: Vec::new(),
                });
                let last = group.places.len() - 1;
                &mut group.places[last]
            }
        };
        if let Some(first) = f.revision {
            let last = f.last_revision.unwrap_or(first).max(first);
            place.revisions.push([first, last]);
        }
    }
    for group in &mut groups {
        for place in &mut group.places {
            place.revisions = merge_runs(std::mem::take(&mut place.revisions));
        }
    }
    // Stable: groups of one severity keep the order of their first finding.
    groups.sort_by_key(|g| {
        (
            std::cmp::Reverse(g.severity),
            g.revision.is_none(),
            g.revision,
        )
    });
    groups
}

/// Sort runs of revisions and join those that touch (`[2,2]`, `[3,3]` → `[2,3]`).
fn merge_runs(mut runs: Vec<[u64; 2]>) -> Vec<[u64; 2]> {
    runs.sort_unstable();
    let mut out: Vec<[u64; 2]> = Vec::new();
    for [first, last] in runs {
        match out.last_mut() {
            Some(prev) if first <= prev[1].saturating_add(1) => prev[1] = prev[1].max(last),
            _ => out.push([first, last]),
        }
    }
    out
}

/// Compare the pods with the last revision's workloads and add the result to the report.
pub fn add_live(report: &mut ImagesReport, pods: &[Pod]) {
    let pods: Vec<LivePod> = pods
        .iter()
        .map(|p| live_pod(p, &report.namespace))
        .collect();
    let latest = report
        .revisions
        .iter()
        .rev()
        .find(|r| r.applied)
        .map(|r| r.rows.as_slice())
        .unwrap_or_default();
    let live = live_images(&pods, latest);
    report.findings.extend(live.findings);
    report.live = Some(LiveReport {
        namespace: report.namespace.clone(),
        pods_listed: live.pods_seen,
        pods_matched: live.pods_matched,
        groups: live.groups,
    });
}

/// Reduce a Pod to what image forensics reads: its controlling owner, node, and for every
/// container the image its spec asks for and the image ID its status reports.
pub fn live_pod(pod: &Pod, default_namespace: &str) -> LivePod {
    let meta = &pod.metadata;
    let owner = meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| PodOwner {
            kind: o.kind.clone(),
            name: o.name.clone(),
        });
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let mut containers = Vec::new();
    let mut add = |list: ContainerList,
                   specs: Vec<(&String, Option<&String>, Option<&String>)>,
                   statuses: Option<&Vec<ContainerStatus>>| {
        for (name, image, pull_policy) in specs {
            let image_id = statuses
                .into_iter()
                .flatten()
                .find(|s| &s.name == name)
                .map(|s| s.image_id.clone())
                .filter(|id| !id.is_empty());
            containers.push(LiveContainer {
                name: name.clone(),
                list,
                image: image.cloned().unwrap_or_default(),
                image_id,
                pull_policy: pull_policy.cloned(),
            });
        }
    };
    if let Some(spec) = spec {
        let init = spec.init_containers.iter().flatten();
        add(
            ContainerList::Init,
            init.map(|c| (&c.name, c.image.as_ref(), c.image_pull_policy.as_ref()))
                .collect(),
            status.and_then(|s| s.init_container_statuses.as_ref()),
        );
        add(
            ContainerList::Container,
            spec.containers
                .iter()
                .map(|c| (&c.name, c.image.as_ref(), c.image_pull_policy.as_ref()))
                .collect(),
            status.and_then(|s| s.container_statuses.as_ref()),
        );
        let ephemeral = spec.ephemeral_containers.iter().flatten();
        add(
            ContainerList::Ephemeral,
            ephemeral
                .map(|c| (&c.name, c.image.as_ref(), c.image_pull_policy.as_ref()))
                .collect(),
            status.and_then(|s| s.ephemeral_container_statuses.as_ref()),
        );
    }
    LivePod {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta
            .namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_owned()),
        node: spec.and_then(|s| s.node_name.clone()),
        owner,
        pod_template_hash: meta
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"))
            .cloned(),
        containers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_that_touch_are_joined() {
        assert_eq!(
            merge_runs(vec![[5, 5], [2, 2], [3, 4], [8, 9]]),
            [[2, 5], [8, 9]]
        );
        assert_eq!(merge_runs(vec![[1, 3], [2, 2]]), [[1, 3]]);
        assert_eq!(
            merge_runs(vec![[u64::MAX, u64::MAX], [1, 1]]),
            [[1, 1], [u64::MAX, u64::MAX]]
        );
    }
}
