//! The reports the commands build and the renderers print: plain values, serialized as the
//! JSON contract (docs/json.md). Commands fill them in; [`crate::render`] decides how they
//! look, and never needs anything from [`crate::commands`].

pub mod diff;
pub mod explain;
pub mod history;
pub mod images;
pub mod list;
pub mod live;
pub mod plan;
pub mod scan;
pub mod timeline;
pub mod who;
