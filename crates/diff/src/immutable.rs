//! Fields the API server refuses to change in a patch, and what Helm 2 did when a chart
//! changed one: without `--force` the upgrade fails on it; with `--force` Tiller deletes the
//! object and creates it again [Helm v2.17.0 `pkg/kube/client.go` `updateResource`]. Tiller's
//! records do not store `--force`, so a successful upgrade that changed such a field is the
//! evidence that it ran.

use helm_why_release::manifest::pointer;
use helm_why_release::{ManifestObject, ResourceKey};
use serde_json::Value;

use crate::event::{Action, Cause, Phase};
use crate::sim::{Op, Sim};
use crate::world::Live;

/// The first immutable field (JSON pointer, and how to name it) that differs between the
/// object Helm diffed against and the new one; `None` when both lack it.
pub(crate) fn immutable_change(
    key: &ResourceKey,
    old: &Value,
    new: &Value,
) -> Option<&'static str> {
    let fields: &[(&str, &str)] = match (key.group.as_str(), key.kind.as_str()) {
        ("batch", "Job") => &[
            ("/spec/selector", "spec.selector"),
            ("/spec/template", "spec.template"),
        ],
        ("apps", "StatefulSet") => &[
            ("/spec/selector", "spec.selector"),
            ("/spec/serviceName", "spec.serviceName"),
            ("/spec/volumeClaimTemplates", "spec.volumeClaimTemplates"),
            ("/spec/podManagementPolicy", "spec.podManagementPolicy"),
        ],
        // apps/v1 made the selector immutable (extensions/v1beta1 and apps/v1beta* did not).
        ("apps", "Deployment" | "DaemonSet" | "ReplicaSet") if key.version == "v1" => {
            &[("/spec/selector", "spec.selector")]
        }
        ("", "PersistentVolumeClaim") => &[
            ("/spec/storageClassName", "spec.storageClassName"),
            ("/spec/accessModes", "spec.accessModes"),
            ("/spec/volumeName", "spec.volumeName"),
        ],
        ("", "Service") => {
            // Only a cluster IP set in both (an unset one is allocated, not changed).
            fn ip(v: &Value) -> Option<&str> {
                pointer(v, "/spec/clusterIP").and_then(Value::as_str)
            }
            return match (ip(old), ip(new)) {
                (Some(a), Some(b)) if a != b && !a.is_empty() && !b.is_empty() => {
                    Some("spec.clusterIP")
                }
                _ => None,
            };
        }
        _ => return None,
    };
    fields
        .iter()
        .find(|(path, _)| pointer(old, path) != pointer(new, path))
        .map(|(_, name)| *name)
}

impl Sim {
    /// Helm 2 only: `t` changes an immutable field of the object `old` applied. In a replayed
    /// upgrade that succeeded, Tiller must have run with `--force`, deleting and creating it
    /// again; in a plan, the upgrade fails on it without `--force`. Records the event and
    /// returns `true`; `false` when the rule does not apply.
    pub(crate) fn force_replace(
        &mut self,
        op: &Op<'_>,
        t: &ManifestObject<'_>,
        old: &Value,
        live: &Live,
    ) -> bool {
        if !self.profile.is_helm2() || op.unsure {
            return false;
        }
        let Some(field) = immutable_change(&t.key, old, &t.value) else {
            return false;
        };
        let message = if self.assume_hooks_run {
            format!(
                "its {field} changes, which the API server refuses to patch: Tiller's upgrade fails here unless run with --force, which deletes it and creates it again (new UID; what only the old object held is lost)"
            )
        } else if op.stage.is_none() {
            format!(
                "replaced: its {field} changed, which the API server refuses to patch, yet the upgrade succeeded — so it ran with --force (Tiller's records do not store it), which deleted it and created it again (new UID), unless the live object had been changed by hand to match first"
            )
        } else {
            // A failed operation: the stored error says what happened to it, if anything.
            return false;
        };
        self.event(
            Phase::Apply,
            Action::Patch,
            &t.key,
            Some(Cause::ForceReplaced),
            message,
        );
        let mut replaced = live.clone();
        replaced.keep = t.keep_on_upgrade();
        self.world.put(replaced);
        true
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn immutable_fields_by_kind() {
        let job = ResourceKey::new("batch/v1", "Job", Some("ns"), "migrate");
        let image = |i: &str| json!({"spec": {"template": {"spec": {"containers": [{"name": "m", "image": i}]}}}});
        assert_eq!(
            immutable_change(&job, &image("m:1"), &image("m:2")),
            Some("spec.template")
        );
        assert_eq!(immutable_change(&job, &image("m:1"), &image("m:1")), None);
        let old_api = ResourceKey::new("extensions/v1beta1", "Deployment", Some("ns"), "web");
        let new_api = ResourceKey::new("apps/v1", "Deployment", Some("ns"), "web");
        let selector = |app: &str| json!({"spec": {"selector": {"matchLabels": {"app": app}}}});
        assert_eq!(
            immutable_change(&old_api, &selector("a"), &selector("b")),
            None
        );
        assert_eq!(
            immutable_change(&new_api, &selector("a"), &selector("b")),
            Some("spec.selector")
        );
        let svc = ResourceKey::new("v1", "Service", Some("ns"), "web");
        let ip = |ip: &str| json!({"spec": {"clusterIP": ip}});
        assert_eq!(
            immutable_change(&svc, &ip("10.0.0.1"), &ip("10.0.0.2")),
            Some("spec.clusterIP")
        );
        assert_eq!(
            immutable_change(&svc, &ip("10.0.0.1"), &json!({"spec": {}})),
            None
        );
    }
}
