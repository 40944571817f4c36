//! Replay Helm between revisions: what Helm created, patched and deleted at each revision,
//! and why.
//!
//! [`replay`] applies Helm's own rules (helm-semantics.md) to a release's stored history:
//! which operation produced each revision, which revision it diffed against, what its hooks
//! did, what it created, patched and deleted, and the cause of every deletion. The crate is
//! pure and deterministic: it takes decoded releases and returns plain values.
//!
//! ```
//! use helm_why_release::builder::ReleaseBuilder;
//! use helm_why_release::{history::group, Record, RecordMeta, Status};
//! use helm_why_diff::{replay, Cause, ReplayOptions};
//!
//! let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n";
//! let tpl = "{{ if .Values.extra.enabled }}apiVersion: v1\nkind: Service\n{{ end }}";
//! let v1 = ReleaseBuilder::new("app", "prod", 1)
//!     .template("templates/svc.yaml", tpl)
//!     .config(serde_json::json!({"extra": {"enabled": true}}))
//!     .manifest_doc("app/templates/svc.yaml", svc)
//!     .status(Status::Superseded, "Install complete");
//! let v2 = ReleaseBuilder::new("app", "prod", 2)
//!     .template("templates/svc.yaml", tpl)
//!     .config(serde_json::json!({"extra": {"enabled": false}}));
//! let records = [v1, v2].iter().map(|b| Record { meta: RecordMeta::raw(Default::default()), release: b.build() }).collect();
//! let history = group(records, vec![]).releases.remove(0);
//!
//! let r = replay(&history, &ReplayOptions::default());
//! let deletion = &r.steps[1].events[0];
//! assert_eq!(deletion.cause, Some(Cause::NotRendered));
//! assert!(deletion.message.contains(".Values.extra.enabled: true → false"));
//! ```
#![deny(missing_docs)]

mod base;
mod cause;
mod crd;
mod cross;
mod event;
pub mod failure;
mod hazard;
mod hooks;
pub mod images;
mod immutable;
mod index;
mod names;
pub mod ops;
mod plan;
mod profile;
mod query;
mod replay;
mod rollback;
mod sim;
pub mod values;
mod versions;
mod view;
mod world;

pub use base::{BaseQuery, BaseRule, PENDING_ERROR, no_deployed_error, reinstalls, upgrade_base};
pub use cause::template_name;
pub use crd::{CrdDeletion, CrdServes};
pub use cross::{
    ReleaseEvent, ReleaseHazard, RerunHook, TrackedObjects, Tracking, cross_hazards,
    describe_elsewhere, done_elsewhere, events_about, headline_elsewhere, last_possible_removal,
    last_removal, may_remove, ownership_moved, puts, removes, told_elsewhere,
};
pub use event::{Action, Cause, Event, Phase};
pub use hazard::{Hazard, Severity, UNREADABLE_DOCUMENT, empty_manifest};
pub use names::invalid_name;
pub use plan::{Change, ChangeOp, LiveFact, Plan, plan, plan_with_live, rendered_as_install};
pub use profile::{HelmVersion, MatchRule, Profile, ProfileSource, VersionError};
pub use query::{ObjectQuery, kind_names};
pub use replay::{Replay, ReplayIndex, ReplayOptions, Step, replay, replay_parsed};
pub use versions::{VersionDifference, other_versions};
pub use view::{HookObject, ObjectChanges, RevisionView, declared_scopes};
pub use world::{ObjectId, Origin, World, resource_name};
