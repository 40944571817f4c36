//! The server as kube 5 sees it: discovery (full and pinned), and the dynamic API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{self, Discovery, Scope};
use serde_json::json;
use testkube::{ResourceType, TestCluster};

async fn client(cluster: &TestCluster) -> kube::Client {
    let kubeconfig = Kubeconfig::from_yaml(&cluster.kubeconfig(Some("shop"))).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

#[tokio::test]
async fn full_discovery_knows_every_kind_and_its_scope() {
    let cluster = TestCluster::start();
    cluster.register(ResourceType::new(
        "example.com",
        "v1",
        "Tenant",
        "tenants",
        false,
    ));
    let discovery = Discovery::new(client(&cluster).await).run().await.unwrap();
    let scope = |g: &str, v: &str, k: &str| {
        discovery
            .resolve_gvk(&GroupVersionKind::gvk(g, v, k))
            .map(|(ar, caps)| (ar.plural, caps.scope == Scope::Namespaced))
    };
    assert_eq!(
        scope("", "v1", "ConfigMap"),
        Some(("configmaps".into(), true))
    );
    assert_eq!(
        scope("", "v1", "Namespace"),
        Some(("namespaces".into(), false))
    );
    assert_eq!(
        scope("apps", "v1", "Deployment"),
        Some(("deployments".into(), true))
    );
    assert_eq!(
        scope("rbac.authorization.k8s.io", "v1", "ClusterRole"),
        Some(("clusterroles".into(), false))
    );
    assert_eq!(
        scope("extensions", "v1beta1", "Ingress"),
        Some(("ingresses".into(), true))
    );
    assert_eq!(
        scope("example.com", "v1", "Tenant"),
        Some(("tenants".into(), false))
    );
    assert_eq!(scope("example.com", "v1", "Widget"), None);
    assert!(cluster.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn pinned_kind_then_get_and_list_any_object() {
    let cluster = TestCluster::start();
    cluster.add(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tenants.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
            "names": {"kind": "Tenant", "plural": "tenants"},
            "versions": [{"name": "v1", "served": true}]},
    }));
    cluster.add(json!({"apiVersion": "example.com/v1", "kind": "Tenant",
        "metadata": {"name": "acme", "labels": {"tier": "gold"}}}));
    cluster.add(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"}}));
    let client = client(&cluster).await;

    let gvk = GroupVersionKind::gvk("example.com", "v1", "Tenant");
    let (ar, caps) = discovery::pinned_kind(&client, &gvk).await.unwrap();
    assert_eq!(caps.scope, Scope::Cluster);
    let tenants: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let acme = tenants.get_opt("acme").await.unwrap().unwrap();
    assert_eq!(acme.metadata.labels.unwrap()["tier"], "gold");
    assert!(tenants.get_opt("nobody").await.unwrap().is_none());

    let gvk = GroupVersionKind::gvk("apps", "v1", "Deployment");
    let (ar, caps) = discovery::pinned_kind(&client, &gvk).await.unwrap();
    assert_eq!(caps.scope, Scope::Namespaced);
    let deployments: Api<DynamicObject> = Api::namespaced_with(client.clone(), "shop", &ar);
    let web = deployments.get("web").await.unwrap();
    assert!(web.metadata.uid.is_some());
    assert!(web.metadata.creation_timestamp.is_some());
    let list = deployments.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);

    cluster.fail_path("/apis/apps/v1/namespaces/shop/deployments/", 403);
    let err = deployments.get_opt("web").await.unwrap_err();
    assert!(err.to_string().contains("cannot get resource"), "{err}");

    let log: Vec<String> = cluster.requests().iter().map(ToString::to_string).collect();
    assert_eq!(
        log,
        [
            "GET /apis/example.com/v1",
            "GET /apis/example.com/v1/tenants/acme",
            "GET /apis/example.com/v1/tenants/nobody",
            "GET /apis/apps/v1",
            "GET /apis/apps/v1/namespaces/shop/deployments/web",
            "GET /apis/apps/v1/namespaces/shop/deployments",
            "GET /apis/apps/v1/namespaces/shop/deployments/web",
        ]
    );
}
