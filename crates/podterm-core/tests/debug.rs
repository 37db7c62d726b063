//! Debug containers against testcluster: `ensure` adds one and then reuses it, the image that
//! cannot be pulled and the pod that has finished are named, a 404 on the subresource is
//! "disabled".

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use podterm_core::cluster::Target;
use podterm_core::debug::{self, DebugError, DebugProfile, DebugSpec};
use testcluster::{Options, Phase, TestCluster};

async fn connect(c: &TestCluster) -> kube::Client {
    Target {
        kubeconfig: Some(c.kubeconfig().to_path_buf()),
        ..Target::default()
    }
    .connect()
    .await
    .expect("client")
    .client
}

fn shell(image: &str) -> DebugSpec {
    DebugSpec {
        image: image.into(),
        target: Some("app".into()),
        profile: DebugProfile::General,
        stdin: true,
        tty: true,
        ..DebugSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensure_adds_once_then_reuses_ours() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let client = connect(&c).await;
    let first = debug::ensure(&client, "demo", "distroless", &shell("busybox"))
        .await
        .expect("added");
    assert!(first.added);
    let again = debug::ensure(&client, "demo", "distroless", &shell("busybox"))
        .await
        .expect("reused");
    assert_eq!(again.name, first.name);
    assert!(!again.added);
    // Another image is another container.
    let other = debug::ensure(&client, "demo", "distroless", &shell("alpine"))
        .await
        .expect("added");
    assert!(other.added && other.name != first.name);
    let pod = Api::<Pod>::namespaced(client.clone(), "demo")
        .get("distroless")
        .await
        .expect("pod");
    let names: Vec<String> = pod
        .spec
        .and_then(|s| s.ephemeral_containers)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, [first.name, other.name]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_typed() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let client = connect(&c).await;
    match debug::ensure(
        &client,
        "demo",
        "distroless",
        &shell("registry.invalid/tools:1"),
    )
    .await
    {
        Err(DebugError::ImagePull { reason, image, .. }) => {
            assert_eq!(image, "registry.invalid/tools:1");
            assert!(
                reason == "ErrImagePull" || reason == "ImagePullBackOff",
                "{reason}"
            );
        }
        other => panic!("not an image pull failure: {other:?}"),
    }
    let mut finished = testcluster::ClusterSpec::demo().pods[2].clone();
    finished.name = "finished".into();
    finished.phase = Phase::Succeeded;
    c.apply_pod(finished);
    match debug::ensure(&client, "demo", "finished", &shell("busybox")).await {
        Err(DebugError::NotRunning { phase, .. }) => assert_eq!(phase, "Succeeded"),
        other => panic!("not refused as finished: {other:?}"),
    }

    let mut opts = Options::demo();
    opts.spec.ephemeral_containers = false;
    let off = TestCluster::start(opts).await.expect("cluster");
    match debug::ensure(
        &connect(&off).await,
        "demo",
        "distroless",
        &shell("busybox"),
    )
    .await
    {
        Err(DebugError::Disabled { message }) => {
            assert_eq!(message, "the server could not find the requested resource")
        }
        other => panic!("not disabled: {other:?}"),
    }
}
