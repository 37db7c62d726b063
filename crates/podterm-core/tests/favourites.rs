//! Favourites: the store (order, names, a corrupt file) and resolution against testcluster — a
//! Deployment favourite follows a rollout to the new pod, says which pods exist and why none is
//! Ready, a fixed pod stays fixed, and a pod's owning workload is found for a star.

use std::collections::BTreeMap;
use std::path::Path;

use podterm_core::cluster::Target as KubeTarget;
use podterm_core::favourites::{
    self, Favourite, FavouriteError, FavouriteStore, Target, FILE_NAME, LOCK_NAME,
};
use podterm_core::pods::{PodError, WorkloadKind};
use podterm_core::store::StoreError;
use testcluster::{ClusterSpec, Options, OwnerRef, Phase, PodSpec, TestCluster, WorkloadSpec};

fn deploy(name: &str) -> Target {
    Target::Workload {
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

fn fav(name: &str, target: Target) -> Favourite {
    Favourite::new(name, "demo-admin", "demo", target)
}

fn names(store: &FavouriteStore) -> Vec<String> {
    store
        .list()
        .expect("list")
        .into_iter()
        .map(|f| f.name)
        .collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn store_round_trip_keeps_every_field_and_the_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path().join("cfg"));
    assert!(
        store.list().expect("list").is_empty(),
        "no file: no favourites"
    );

    let mut web = fav("web", deploy("web"));
    web.container = Some("web".into());
    let mut db = Favourite::new(
        "db shell",
        "prod",
        "data",
        Target::Workload {
            kind: WorkloadKind::StatefulSet,
            name: "db".into(),
        },
    );
    db.command = vec!["psql".into(), "-U".into(), "app user".into()];
    let agent = fav(
        "agent",
        Target::Workload {
            kind: WorkloadKind::DaemonSet,
            name: "agent".into(),
        },
    );
    let rs = fav(
        "legacy",
        Target::Workload {
            kind: WorkloadKind::ReplicaSet,
            name: "legacy".into(),
        },
    );
    let shell = fav("shell", Target::Pod("shell".into()));
    let all = vec![web, db, agent, rs, shell];
    for f in &all {
        store.add(f.clone()).expect("add");
    }
    assert_eq!(store.list().expect("list"), all, "in the order added");
    assert_eq!(
        FavouriteStore::open(store.dir()).list().expect("reopen"),
        all
    );
    assert_eq!(store.get("db shell").expect("get"), all[1]);
    assert_eq!(
        all[1].command_or_shell(),
        ["psql", "-U", "app user"],
        "a command of its own"
    );
    assert_eq!(
        all[0].command_or_shell(),
        podterm_core::pods::shell_command(),
        "no command: the shell fallback"
    );

    // The file: versioned, readable, the targets as kind + name, no temp file left.
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).expect("file")).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["favourites"][0],
        serde_json::json!({"name": "web", "profile": "demo-admin", "namespace": "demo",
            "target": {"kind": "deployment", "name": "web"}, "container": "web", "command": []})
    );
    assert_eq!(v["favourites"][4]["target"]["kind"], "pod");
    assert_eq!(entries(store.dir()), [FILE_NAME, LOCK_NAME]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Replace keeps the place.
    let mut shell2 = all[4].clone();
    shell2.container = Some("main".into());
    assert_eq!(store.replace(shell2.clone()).expect("replace"), all[4]);
    assert_eq!(
        store.get("shell").expect("get").container.as_deref(),
        Some("main")
    );
    assert!(matches!(
        store.replace(fav("nope", Target::Pod("x".into()))),
        Err(FavouriteError::NotFound { .. })
    ));
}

#[test]
fn duplicate_and_invalid_favourites_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path());
    store.add(fav("web", deploy("web"))).expect("add");
    let err = store
        .add(fav("web", Target::Pod("shell".into())))
        .expect_err("duplicate");
    assert!(
        matches!(&err, FavouriteError::Duplicate(n) if n == "web"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "a favourite named \"web\" already exists: pick another name, or remove it first"
    );
    assert_eq!(
        store.get("web").expect("get").target,
        deploy("web"),
        "unchanged"
    );

    for bad in [
        fav(" ", deploy("web")),
        fav("a\tb", deploy("web")),
        Favourite::new("x", "", "demo", deploy("web")),
        Favourite::new("x", "p", "", deploy("web")),
        fav("x", deploy("")),
        Favourite {
            container: Some(String::new()),
            ..fav("x", deploy("web"))
        },
    ] {
        let err = store.add(bad.clone()).expect_err("invalid");
        assert!(
            matches!(err, FavouriteError::Invalid { .. }),
            "{bad:?}: {err:?}"
        );
    }
    assert_eq!(names(&store), ["web"]);
}

#[test]
fn rename_keeps_the_place_and_refuses_a_taken_name() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path());
    for n in ["a", "b", "c"] {
        store.add(fav(n, Target::Pod(n.into()))).expect("add");
    }
    store.rename("b", "bee").expect("rename");
    assert_eq!(names(&store), ["a", "bee", "c"]);
    assert_eq!(
        store.get("bee").expect("get").target,
        Target::Pod("b".into()),
        "only the name changed"
    );
    assert!(matches!(
        store.rename("a", "c"),
        Err(FavouriteError::Duplicate(n)) if n == "c"
    ));
    let err = store.rename("b", "x").expect_err("gone");
    assert_eq!(
        err.to_string(),
        "no favourite named \"b\"; the favourites are: a, bee, c"
    );
    assert!(matches!(
        store.rename("a", ""),
        Err(FavouriteError::Invalid { .. })
    ));
    store.rename("a", "a").expect("same name is a no-op");
    assert_eq!(names(&store), ["a", "bee", "c"]);
}

#[test]
fn reorder_by_index_and_by_full_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path());
    for n in ["a", "b", "c", "d"] {
        store.add(fav(n, Target::Pod(n.into()))).expect("add");
    }
    store.move_to("d", 0).expect("move first");
    assert_eq!(names(&store), ["d", "a", "b", "c"]);
    store.move_to("d", 2).expect("move to 2");
    assert_eq!(names(&store), ["a", "b", "d", "c"]);
    store.move_to("a", 99).expect("past the end: last");
    assert_eq!(names(&store), ["b", "d", "c", "a"]);
    assert!(matches!(
        store.move_to("zz", 0),
        Err(FavouriteError::NotFound { .. })
    ));

    store.set_order(&["c", "a", "d", "b"]).expect("order");
    assert_eq!(names(&store), ["c", "a", "d", "b"]);
    assert_eq!(
        FavouriteStore::open(tmp.path()).list().expect("reopen")[0].name,
        "c",
        "the order is in the file"
    );

    let err = store
        .set_order(&["c", "a", "x", "a"])
        .expect_err("bad order");
    assert!(matches!(err, FavouriteError::BadOrder(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("missing d, b"), "{msg}");
    assert!(msg.contains("no favourite named x"), "{msg}");
    assert!(msg.contains("named more than once: a"), "{msg}");
    assert_eq!(names(&store), ["c", "a", "d", "b"], "unchanged");
}

#[test]
fn remove_returns_it_and_unknown_names_list_the_known_ones() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path());
    let err = store.get("web").expect_err("empty");
    assert_eq!(
        err.to_string(),
        "no favourite named \"web\"; there are no favourites yet"
    );
    store.add(fav("web", deploy("web"))).expect("add");
    store
        .add(fav("shell", Target::Pod("shell".into())))
        .expect("add");
    assert_eq!(
        store.remove("web").expect("remove"),
        fav("web", deploy("web"))
    );
    assert_eq!(names(&store), ["shell"]);
    match store.remove("web").expect_err("gone") {
        FavouriteError::NotFound { name, known } => {
            assert_eq!(name, "web");
            assert_eq!(known, ["shell"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_corrupt_file_is_reported_and_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = FavouriteStore::open(tmp.path());
    let garbage = b"{\"version\": 1, \"favourites\": [{\"name\": \"web\",";
    std::fs::write(store.path(), garbage).expect("write");

    let err = store.list().expect_err("corrupt");
    assert!(
        matches!(err, FavouriteError::Store(StoreError::Invalid { .. })),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&store.path().display().to_string()), "{msg}");
    assert!(msg.contains("not a valid Podterm favourites file"), "{msg}");
    assert!(msg.contains("move it away"), "{msg}");
    // Nothing overwrites a file it cannot read.
    assert!(matches!(
        store.add(fav("new", deploy("web"))),
        Err(FavouriteError::Store(StoreError::Invalid { .. }))
    ));
    assert!(store.remove("web").is_err());
    assert!(store.set_order::<&str>(&[]).is_err());
    assert_eq!(std::fs::read(store.path()).expect("still there"), garbage);

    // Valid JSON, wrong shape: a target of an unknown kind.
    std::fs::write(
        store.path(),
        br#"{"version": 1, "favourites": [{"name": "j", "profile": "p", "namespace": "n",
            "target": {"kind": "cronjob", "name": "x"}}]}"#,
    )
    .expect("write");
    let msg = store.list().expect_err("unknown kind").to_string();
    assert!(msg.contains("unknown target kind \"cronjob\""), "{msg}");

    // Written by a newer Podterm: say so, and keep it.
    let future = br#"{"version": 2, "favourites": [{"future": true}]}"#;
    std::fs::write(store.path(), future).expect("write");
    let err = store.list().expect_err("newer");
    assert!(
        matches!(
            err,
            FavouriteError::Store(StoreError::NewerVersion { found: 2, .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade Podterm"), "{err}");
    assert!(store.add(fav("new", deploy("web"))).is_err());
    assert_eq!(std::fs::read(store.path()).expect("kept"), future);

    // No version: not ours.
    std::fs::write(store.path(), br#"{"favourites": []}"#).expect("write");
    assert!(matches!(
        store.list(),
        Err(FavouriteError::Store(StoreError::Invalid { .. }))
    ));
}

#[test]
fn concurrent_writers_lose_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cfg");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let store = FavouriteStore::open(dir);
                for i in 0..15 {
                    store
                        .add(fav(&format!("t{t}-{i}"), Target::Pod("shell".into())))
                        .expect("add");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let got = names(&FavouriteStore::open(&dir));
    assert_eq!(got.len(), 60);
    for t in 0..4 {
        let mine: Vec<&String> = got
            .iter()
            .filter(|n| n.starts_with(&format!("t{t}-")))
            .collect();
        let want: Vec<String> = (0..15).map(|i| format!("t{t}-{i}")).collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>(), "each writer's order");
    }
    assert_eq!(entries(&dir), [FILE_NAME, LOCK_NAME]);
}

// ---- Resolution against testcluster ----

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A pod like the demo's web pods, with other name, labels and owner.
fn pod_like_web(name: &str, pod_labels: &[(&str, &str)], owner: Option<(&str, &str)>) -> PodSpec {
    let mut p = ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("a web pod in the demo");
    p.name = name.into();
    p.labels = labels(pod_labels);
    p.owner = owner.map(|(kind, name)| OwnerRef {
        kind: kind.into(),
        name: name.into(),
    });
    p
}

fn workload(
    kind: testcluster::WorkloadKind,
    name: &str,
    selector: &[(&str, &str)],
    owner: Option<(&str, &str)>,
) -> WorkloadSpec {
    WorkloadSpec {
        kind,
        namespace: "demo".into(),
        name: name.into(),
        selector: labels(selector),
        labels: labels(selector),
        owner: owner.map(|(kind, name)| OwnerRef {
            kind: kind.into(),
            name: name.into(),
        }),
        replicas: 1,
        age_seconds: 3600,
    }
}

/// The next revision of the demo's Deployment `web`.
const NEW_RS: &str = "web-5d4c3b2a1";

/// The demo (Deployment `web` with ReplicaSet `web-6b7f9c8d5` and its two pods, bare pods), plus
/// the ReplicaSet of web's next revision (no pods yet), a StatefulSet `db` with `db-0`, a
/// DaemonSet `agent`, a ReplicaSet `legacy` that no Deployment owns, and a Job's pod.
async fn cluster() -> (TestCluster, kube::Client) {
    use testcluster::WorkloadKind as K;
    let mut spec = ClusterSpec::demo();
    spec.workloads.extend([
        workload(
            K::ReplicaSet,
            NEW_RS,
            &[("app", "web"), ("pod-template-hash", "5d4c3b2a1")],
            Some(("Deployment", "web")),
        ),
        workload(K::StatefulSet, "db", &[("app", "db")], None),
        workload(K::DaemonSet, "agent", &[("app", "agent")], None),
        workload(K::ReplicaSet, "legacy", &[("app", "legacy")], None),
    ]);
    spec.pods.extend([
        pod_like_web("db-0", &[("app", "db")], Some(("StatefulSet", "db"))),
        pod_like_web(
            "agent-7xk2p",
            &[("app", "agent")],
            Some(("DaemonSet", "agent")),
        ),
        pod_like_web(
            "legacy-q8w7e",
            &[("app", "legacy")],
            Some(("ReplicaSet", "legacy")),
        ),
        pod_like_web(
            "migrate-x9z8y",
            &[("job", "migrate")],
            Some(("Job", "migrate")),
        ),
    ]);
    let c = TestCluster::start(Options {
        spec,
        ..Options::demo()
    })
    .await
    .expect("testcluster");
    let client = KubeTarget {
        kubeconfig: Some(c.kubeconfig().to_path_buf()),
        ..KubeTarget::default()
    }
    .connect()
    .await
    .expect("client")
    .client;
    (c, client)
}

/// A pod of web's next revision, created `age` seconds ago.
fn new_web_pod(id: &str, age: u64, phase: Phase, ready: bool) -> PodSpec {
    let mut p = pod_like_web(
        &format!("{NEW_RS}-{id}"),
        &[("app", "web"), ("pod-template-hash", "5d4c3b2a1")],
        Some(("ReplicaSet", NEW_RS)),
    );
    p.age_seconds = age;
    p.phase = phase;
    p.ready = ready;
    p
}

async fn resolved_pod(client: &kube::Client, f: &Favourite) -> String {
    favourites::resolve(client, f)
        .await
        .unwrap_or_else(|e| panic!("{} resolves: {e}", f.name))
        .pod_name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_favourite_follows_a_rollout_to_the_new_pod() {
    let (c, client) = cluster().await;
    let web = fav("web", deploy("web"));

    // Before: the newest of the two Ready pods (p9m7q is 90 min old, h2x4k 120 min).
    let r = favourites::resolve(&client, &web).await.expect("resolve");
    assert_eq!(r.pod_name, "web-6b7f9c8d5-p9m7q");
    assert_eq!(r.namespace, "demo");
    assert_eq!(r.container, "web");
    assert_eq!(r.note, None);
    assert_eq!(r.command, podterm_core::pods::shell_command());

    // The rollout starts: a new pod, running but not Ready yet. The old pod still serves.
    c.apply_pod(new_web_pod("n3w01", 3, Phase::Running, false));
    assert_eq!(resolved_pod(&client, &web).await, "web-6b7f9c8d5-p9m7q");

    // The new pod is Ready: it is the newest Ready one.
    assert!(c.set_ready("demo", &format!("{NEW_RS}-n3w01"), true));
    assert_eq!(resolved_pod(&client, &web).await, format!("{NEW_RS}-n3w01"));

    // The old pods terminate (still listed, with a deletionTimestamp): the new one.
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-p9m7q"));
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-h2x4k"));
    let r = favourites::resolve(&client, &web).await.expect("resolve");
    assert_eq!(r.pod_name, format!("{NEW_RS}-n3w01"));
    assert!(r.pod.metadata.deletion_timestamp.is_none());

    // Old pods gone: still the new one, and the favourite never changed.
    assert!(c.delete_pod("demo", "web-6b7f9c8d5-p9m7q"));
    assert!(c.delete_pod("demo", "web-6b7f9c8d5-h2x4k"));
    assert_eq!(resolved_pod(&client, &web).await, format!("{NEW_RS}-n3w01"));

    // Its favourite's own container and command are kept; the rollout's new pod has the same
    // container, and an unknown one is refused with the pod's list, as kubectl does.
    let mut with_cmd = fav("web-env", deploy("web"));
    with_cmd.container = Some("web".into());
    with_cmd.command = vec!["env".into()];
    let r = favourites::resolve(&client, &with_cmd)
        .await
        .expect("resolve");
    assert_eq!(
        (r.container.as_str(), r.command.clone()),
        ("web", vec!["env".to_string()])
    );
    with_cmd.container = Some("nginx".into());
    let err = favourites::resolve(&client, &with_cmd)
        .await
        .expect_err("no such container");
    assert_eq!(
        err.to_string(),
        format!("container nginx is not valid for pod {NEW_RS}-n3w01 out of: web")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ready_pod_takes_the_newest_that_runs_else_names_each_pod_and_why() {
    let (c, client) = cluster().await;
    c.apply_pod(new_web_pod("n3w01", 5, Phase::Running, false));
    c.apply_pod(new_web_pod("n3w02", 1, Phase::Pending, false));
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-p9m7q"));
    assert!(c.set_ready("demo", "web-6b7f9c8d5-h2x4k", false));

    // None Ready: the newest whose container runs (its readiness probe fails), said so.
    let web = fav("web", deploy("web"));
    let r = favourites::resolve(&client, &web)
        .await
        .expect("a pod that runs");
    assert_eq!(r.pod_name, format!("{NEW_RS}-n3w01"));
    assert_eq!(
        r.unready.as_deref(),
        Some(
            format!(
                "No Ready pod for deployment/web; using {NEW_RS}-n3w01 \
                 (not Ready: container web not ready)"
            )
            .as_str()
        )
    );
    // A Ready one is taken before it, and says nothing.
    assert!(c.set_ready("demo", "web-6b7f9c8d5-h2x4k", true));
    let r = favourites::resolve(&client, &web).await.expect("Ready");
    assert_eq!(
        (r.pod_name.as_str(), r.unready),
        ("web-6b7f9c8d5-h2x4k", None)
    );

    // Nothing that runs: each pod and why it is not Ready.
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-h2x4k"));
    assert!(c.mark_terminating("demo", &format!("{NEW_RS}-n3w01")));
    let err = favourites::resolve(&client, &web)
        .await
        .expect_err("nothing Ready");
    assert!(
        matches!(err, FavouriteError::Pod(PodError::NoneReady { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "no Ready pod for deployment/web in namespace demo: \
             {NEW_RS}-n3w02 (Pending: ContainerCreating), \
             {NEW_RS}-n3w01 (terminating), \
             web-6b7f9c8d5-p9m7q (terminating), \
             web-6b7f9c8d5-h2x4k (terminating)"
        )
    );

    // A workload with no pod at all, and one that does not exist.
    assert!(c.delete_pod("demo", "db-0"));
    let db = fav(
        "db",
        Target::Workload {
            kind: WorkloadKind::StatefulSet,
            name: "db".into(),
        },
    );
    assert_eq!(
        favourites::resolve(&client, &db)
            .await
            .expect_err("no pods")
            .to_string(),
        "no Ready pod for statefulset/db in namespace demo: no pods match"
    );
    let err = favourites::resolve(&client, &fav("gone", deploy("gone")))
        .await
        .expect_err("no such deployment");
    assert!(
        err.to_string().starts_with("Error from server (NotFound)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_and_fixed_pod_favourites_resolve() {
    let (c, client) = cluster().await;
    for (target, pod) in [
        (
            Target::Workload {
                kind: WorkloadKind::StatefulSet,
                name: "db".into(),
            },
            "db-0",
        ),
        (
            Target::Workload {
                kind: WorkloadKind::DaemonSet,
                name: "agent".into(),
            },
            "agent-7xk2p",
        ),
        (
            Target::Workload {
                kind: WorkloadKind::ReplicaSet,
                name: "legacy".into(),
            },
            "legacy-q8w7e",
        ),
        (Target::Pod("shell".into()), "shell"),
    ] {
        let name = target.to_string();
        assert_eq!(resolved_pod(&client, &fav(&name, target)).await, pod);
    }

    // A fixed pod: the default container by annotation, else the first with kubectl's note.
    let multi = fav("multi", Target::Pod("multi".into()));
    let r = favourites::resolve(&client, &multi).await.expect("multi");
    assert_eq!((r.container.as_str(), r.note.as_deref()), ("sidecar", None));
    let r = favourites::resolve(
        &client,
        &Favourite {
            container: Some("app".into()),
            ..multi.clone()
        },
    )
    .await
    .expect("app");
    assert_eq!(r.container, "app");
    let r = favourites::resolve(&client, &fav("pair", Target::Pod("pair".into())))
        .await
        .expect("pair");
    assert_eq!(r.container, "one");
    assert_eq!(
        r.note.as_deref(),
        Some("Defaulted container \"one\" out of: one, two")
    );

    // A fixed pod is that pod, Ready or not; when it is gone, the API server's words.
    assert!(c.set_ready("demo", "shell", false));
    assert_eq!(
        resolved_pod(&client, &fav("shell", Target::Pod("shell".into()))).await,
        "shell"
    );
    assert!(c.delete_pod("demo", "shell"));
    let err = favourites::resolve(&client, &fav("shell", Target::Pod("shell".into())))
        .await
        .expect_err("gone");
    assert_eq!(
        err.to_string(),
        "Error from server (NotFound): pods \"shell\" not found"
    );

    // A completed pod is refused as kubectl refuses it.
    let mut done = pod_like_web("done", &[("app", "done")], None);
    done.phase = Phase::Succeeded;
    c.apply_pod(done);
    let err = favourites::resolve(&client, &fav("done", Target::Pod("done".into())))
        .await
        .expect_err("completed");
    assert_eq!(
        err.to_string(),
        "cannot exec into a container in a completed pod; current phase is Succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_is_favourited_as_its_owning_workload() {
    let (c, client) = cluster().await;
    let target = |ns: &'static str, pod: &'static str| {
        let client = client.clone();
        async move { favourites::favourite_for_pod(&client, ns, pod).await }
    };
    // Pod → ReplicaSet → Deployment.
    assert_eq!(
        target("demo", "web-6b7f9c8d5-h2x4k")
            .await
            .expect("web pod"),
        deploy("web")
    );
    // A pod of the next revision: its own ReplicaSet, the same Deployment.
    c.apply_pod(new_web_pod("n3w01", 3, Phase::Running, true));
    assert_eq!(
        target("demo", "web-5d4c3b2a1-n3w01")
            .await
            .expect("new pod"),
        deploy("web")
    );
    assert_eq!(
        target("demo", "db-0").await.expect("sts pod"),
        Target::Workload {
            kind: WorkloadKind::StatefulSet,
            name: "db".into()
        }
    );
    assert_eq!(
        target("demo", "agent-7xk2p").await.expect("ds pod"),
        Target::Workload {
            kind: WorkloadKind::DaemonSet,
            name: "agent".into()
        }
    );
    // A ReplicaSet no Deployment owns is followed itself.
    assert_eq!(
        target("demo", "legacy-q8w7e").await.expect("rs pod"),
        Target::Workload {
            kind: WorkloadKind::ReplicaSet,
            name: "legacy".into()
        }
    );
    // A bare pod, and a Job's pod (no workload podterm can follow): the pod itself.
    assert_eq!(
        target("demo", "shell").await.expect("bare pod"),
        Target::Pod("shell".into())
    );
    assert_eq!(
        target("demo", "migrate-x9z8y").await.expect("job pod"),
        Target::Pod("migrate-x9z8y".into())
    );
    let err = target("demo", "nope").await.expect_err("no pod");
    assert_eq!(
        err.to_string(),
        "Error from server (NotFound): pods \"nope\" not found"
    );

    // The round trip a star makes: favourite the pod, resolve the favourite after the pod is
    // gone, and land on its successor.
    let web = fav(
        "web",
        target("demo", "web-6b7f9c8d5-p9m7q").await.expect("star"),
    );
    for p in ["web-6b7f9c8d5-p9m7q", "web-6b7f9c8d5-h2x4k"] {
        assert!(c.delete_pod("demo", p));
    }
    assert_eq!(resolved_pod(&client, &web).await, "web-5d4c3b2a1-n3w01");
}

#[test]
fn unknown_fields_of_a_same_version_file_survive_every_change() {
    let dir = tempfile::tempdir().expect("dir");
    let store = FavouriteStore::open(dir.path());
    std::fs::write(
        store.path(),
        br#"{"version": 1, "sync": {"peer": "laptop"}, "favourites": [
            {"name": "web", "profile": "p", "namespace": "n",
             "target": {"kind": "deployment", "name": "web"}, "colour": "green"}]}"#,
    )
    .expect("write");
    store.add(fav("db", deploy("db"))).expect("add");
    store.rename("web", "site").expect("rename");
    store.move_to("db", 0).expect("move");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).expect("read")).expect("json");
    assert_eq!(v["sync"]["peer"], "laptop", "{v}");
    assert_eq!(v["favourites"][1]["name"], "site", "{v}");
    assert_eq!(v["favourites"][1]["colour"], "green", "{v}");
    assert!(v["favourites"][0].get("colour").is_none(), "{v}");
}

/// A tab saved before a restart (podterm_core::opentabs): its pod is looked for again through
/// the controller that owned it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_tab_s_pod_replaced_by_a_rollout_is_found_in_its_deployment() {
    use podterm_core::browse::PodOwner;
    use podterm_core::opentabs::{relocate, Whereabouts};
    let (c, client) = cluster().await;
    let rs = PodOwner {
        kind: "ReplicaSet".into(),
        name: "web-6b7f9c8d5".into(),
    };
    let old = "web-6b7f9c8d5-p9m7q";
    assert_eq!(
        relocate(&client, "demo", old, None, Some(&rs))
            .await
            .expect("same"),
        Whereabouts::Same
    );
    // A rollout: the new ReplicaSet's pod is Ready, the old pods are gone.
    c.apply_pod(new_web_pod("n3w01", 3, Phase::Running, true));
    assert!(c.delete_pod("demo", "web-6b7f9c8d5-p9m7q"));
    assert!(c.delete_pod("demo", "web-6b7f9c8d5-h2x4k"));
    assert_eq!(
        relocate(&client, "demo", old, None, Some(&rs))
            .await
            .expect("moved"),
        Whereabouts::Moved(format!("{NEW_RS}-n3w01"))
    );
    // Not Ready, its container running (a readiness probe fails): still where the tab opens,
    // as exec would take it; unless the tab's container is not one that runs there.
    assert!(c.set_ready("demo", &format!("{NEW_RS}-n3w01"), false));
    assert_eq!(
        relocate(&client, "demo", old, Some("web"), Some(&rs))
            .await
            .expect("moved"),
        Whereabouts::Moved(format!("{NEW_RS}-n3w01"))
    );
    let err = relocate(&client, "demo", old, Some("sidecar"), Some(&rs))
        .await
        .expect_err("no such container running");
    assert!(matches!(err, PodError::NoneReady { .. }), "{err:?}");
    // A bare pod deleted, or an owner podterm cannot follow: gone.
    assert!(c.delete_pod("demo", "shell"));
    assert_eq!(
        relocate(&client, "demo", "shell", None, None)
            .await
            .expect("gone"),
        Whereabouts::Gone
    );
    let job = PodOwner {
        kind: "Job".into(),
        name: "migrate".into(),
    };
    assert!(c.delete_pod("demo", "migrate-x9z8y"));
    assert_eq!(
        relocate(&client, "demo", "migrate-x9z8y", None, Some(&job))
            .await
            .expect("gone"),
        Whereabouts::Gone
    );
}
