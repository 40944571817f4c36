//! `helm-why images RELEASE`: every container image of every revision, how mutable its tag
//! is, its pull policy, whether the revision rolled the pods, and the findings; connected to a
//! cluster, also which images the release's pods really run.

use anyhow::Result;
use helm_why_diff::RevisionView;
use helm_why_diff::images::{LiveContainer, LivePod, PodOwner, image_history, live_images};
use helm_why_release::images::ContainerList;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::{Ui, source_warnings};
use crate::args::ImagesArgs;
use crate::config::{Config, SourceSpec};
use crate::error::exit;
use crate::report::images::{ImagesReport, LiveReport};
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
        live: None,
        warnings,
    };
    if let SourceSpec::Cluster(spec) = &config.source {
        match list_pods(spec, &history.id.namespace).await {
            Ok(pods) => add_live(&mut report, &pods),
            Err(e) => report.warnings.push(format!(
                "the live pods were not checked: {e:#} (grant list on pods to compare the images \
                 the replicas really run)"
            )),
        }
    }
    crate::render::images::render(&report, ui)?;
    Ok(exit::OK)
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
