//! Replay Helm between revisions: what Helm created, patched and deleted at each revision,
//! and why.
//!
//! The crate is pure and deterministic: it takes decoded releases
//! ([`helm_why_release::Release`]) and returns plain values.
#![deny(missing_docs)]

mod view;

pub use view::{HookObject, ObjectChanges, RevisionView};
