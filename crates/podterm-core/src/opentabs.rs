//! The app's open tabs, kept so that they reopen after a restart: `tabs.json` beside the
//! profiles, a [`VersionedFile`] (atomic writes under `tabs.lock`, a newer or unreadable file
//! never written over, unknown fields kept). A tab is where it ran (profile, namespace, pod or
//! favourite, container, command), never a secret: a tab whose command holds something that
//! looks like one (`--password=…`, a token) is not saved.
//!
//! At start a pod that no longer exists is looked for again through the workload that owned it
//! ([`relocate`]): a Deployment's pod replaced by a rollout reopens in the newest Ready pod.

use crate::browse::PodOwner;
use crate::pods::PodError;
use crate::store::{Extra, FileSpec, StoreError, VersionedFile};
use crate::terminal::DebugRequest;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this Podterm writes. Version 2 added each tab's [`TabView`] and debug container:
/// a Podterm that reads version 1 at most would reopen a saved Logs view as a shell in its pod,
/// so it is told to upgrade instead (version 1 files read here as terminals).
pub const FORMAT_VERSION: u32 = 2;
/// The file's name inside the config directory.
pub const FILE_NAME: &str = "tabs.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "tabs.lock";
/// The tabs file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "open tabs",
    fresh: "start with no tabs",
};
/// The most tabs kept (more are not saved: a runaway loop must not grow the file).
pub const MAX_TABS: usize = 100;

/// What a saved tab shows: it reopens as the same, so a read-only Logs view never comes back as
/// a shell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum TabView {
    /// A terminal (also every tab of a version 1 file).
    #[default]
    Terminal,
    /// The Logs view of the pod's container.
    Logs,
    /// The Logs view of the workload that runs the pod (every pod of it).
    WorkloadLogs,
}

/// One open tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SavedTab {
    pub profile: String,
    pub namespace: String,
    /// The pod it ran in (for a favourite's tab: where it last led; it is resolved again).
    pub pod: String,
    /// Empty: the pod's default container.
    pub container: String,
    /// `None`: the shell.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// The favourite it was opened from, if any (reopened through the favourite).
    #[serde(default)]
    pub favourite: Option<String>,
    /// The controller that owned the pod when the tab was saved, if known: where to look when
    /// the pod is gone.
    #[serde(default)]
    pub owner: Option<PodOwner>,
    /// A terminal or a Logs view.
    #[serde(default)]
    pub view: TabView,
    /// A terminal in our debug container beside `container` (the running one of that image and
    /// target is used again when it reopens).
    #[serde(default)]
    pub debug: Option<DebugRequest>,
    /// `container` is one of the pod's ephemeral (debug) containers, picked in its list.
    #[serde(default)]
    pub ephemeral: bool,
}

/// The saved tabs, in the tab bar's order, and which was active.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct SavedTabs {
    pub tabs: Vec<SavedTab>,
    /// The index of the active tab.
    pub active: Option<u32>,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

fn file(dir: &Path) -> VersionedFile<SavedTabs> {
    VersionedFile::new(dir, SPEC)
}

/// The tabs that may be written: at most [`MAX_TABS`], none whose command looks secret (the
/// active index follows the tabs kept; a dropped active tab leaves none active).
pub fn saveable(tabs: &SavedTabs) -> SavedTabs {
    let mut out = SavedTabs {
        extra: tabs.extra.clone(),
        ..SavedTabs::default()
    };
    for (i, t) in tabs.tabs.iter().enumerate() {
        if out.tabs.len() >= MAX_TABS {
            break;
        }
        if t.command
            .as_deref()
            .is_some_and(crate::commandsecrets::holds_secret)
        {
            tracing::info!("a tab's command looks like it holds a secret: not saved");
            continue;
        }
        if tabs.active == u32::try_from(i).ok() {
            out.active = u32::try_from(out.tabs.len()).ok();
        }
        out.tabs.push(t.clone());
    }
    out
}

/// Reads `dir/tabs.json`; none when there is no file.
pub fn load(dir: &Path) -> Result<SavedTabs, StoreError> {
    file(dir).read()
}

/// Writes the tabs (what [`saveable`] keeps) to `dir/tabs.json`, keeping fields of the file this
/// Podterm does not know; a file that cannot be read is an error and stays as it is.
pub fn save(dir: &Path, tabs: &SavedTabs) -> Result<(), StoreError> {
    let keep = saveable(tabs);
    file(dir).update(|current| {
        let mut extra = std::mem::take(&mut current.extra);
        extra.extend(keep.extra.clone());
        *current = SavedTabs { extra, ..keep };
        Ok::<(), StoreError>(())
    })
}

/// Where a saved tab's pod is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts {
    /// The pod is there.
    Same,
    /// The pod is gone; its workload's newest Ready pod is this one.
    Moved(String),
    /// The pod is gone and nothing owned it that podterm can follow (or its owner is gone too).
    Gone,
}

/// A saved tab as it reopens: its pod looked for again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RestoredTab {
    /// Where it ran (`pod` already the new pod when it moved).
    pub tab: SavedTab,
    /// The pod it ran in, when that pod is gone and its workload's newest Ready pod is `pod`.
    pub moved_from: Option<String>,
    /// The pod is gone and nothing podterm can follow owned it: the tab shows it deleted.
    pub gone: bool,
}

/// The last run's tabs, to reopen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RestoredTabs {
    pub tabs: Vec<RestoredTab>,
    /// The index of the tab that was active.
    pub active: Option<u32>,
}

/// How long a saved tab's pod is looked for at start: a cluster that does not answer (a VPN
/// down) must not hold back every tab for the HTTP client's timeouts.
pub const LOOK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The saved tabs as they reopen, in order, the active one kept: each pod tab's pod looked for
/// with `locate` (for the app, [`relocate`] through the tab's profile), all at once, each for
/// [`LOOK_WAIT`] at most. A favourite's tab is not looked for (it is resolved again when it
/// opens). A tab whose pod cannot be looked for in time (the cluster unreachable, the profile
/// gone) stays as saved: opening it says why.
pub async fn restore<F, Fut, E>(saved: SavedTabs, locate: F) -> RestoredTabs
where
    F: FnMut(SavedTab) -> Fut,
    Fut: std::future::Future<Output = Result<Whereabouts, E>>,
    E: std::fmt::Display,
{
    restore_within(saved, LOOK_WAIT, locate).await
}

/// [`restore`], each look bounded by `wait`.
async fn restore_within<F, Fut, E>(
    saved: SavedTabs,
    wait: std::time::Duration,
    mut locate: F,
) -> RestoredTabs
where
    F: FnMut(SavedTab) -> Fut,
    Fut: std::future::Future<Output = Result<Whereabouts, E>>,
    E: std::fmt::Display,
{
    let looks = saved.tabs.iter().map(|tab| {
        let look = tab
            .favourite
            .is_none()
            .then(|| tokio::time::timeout(wait, locate(tab.clone())));
        async move {
            match look {
                None => None,
                Some(look) => Some(look.await),
            }
        }
    });
    let found = futures_util::future::join_all(looks.collect::<Vec<_>>()).await;
    let mut tabs = Vec::with_capacity(saved.tabs.len());
    for (tab, found) in saved.tabs.into_iter().zip(found) {
        let mut out = RestoredTab {
            tab,
            moved_from: None,
            gone: false,
        };
        match found {
            None | Some(Ok(Ok(Whereabouts::Same))) => {}
            Some(Ok(Ok(Whereabouts::Moved(pod)))) => {
                out.moved_from = Some(std::mem::replace(&mut out.tab.pod, pod));
            }
            Some(Ok(Ok(Whereabouts::Gone))) => out.gone = true,
            Some(Ok(Err(e))) => tracing::info!("a saved tab's pod could not be looked for: {e}"),
            Some(Err(_)) => tracing::info!(
                "a saved tab's pod was not found within {} s: it reopens as saved",
                wait.as_secs()
            ),
        }
        tabs.push(out);
    }
    RestoredTabs {
        tabs,
        active: saved.active,
    }
}

/// Where the pod of a saved tab is now: the same pod, its owner's newest Ready pod (with none
/// Ready, one whose `container` runs, as `exec` takes it: [`crate::pods::resolve_to_run`]), or
/// gone. Errors are the cluster's (unreachable, forbidden, nothing running in the workload).
pub async fn relocate(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    container: Option<&str>,
    owner: Option<&PodOwner>,
) -> Result<Whereabouts, PodError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match pods.get_opt(pod).await {
        Ok(Some(_)) => return Ok(Whereabouts::Same),
        Ok(None) => {}
        Err(e) => return Err(PodError::Api(e.into())),
    }
    let Some(owner) = owner else {
        return Ok(Whereabouts::Gone);
    };
    let Some(target) = crate::pods::workload_of(client, namespace, owner).await? else {
        return Ok(Whereabouts::Gone);
    };
    let now = crate::pods::resolve_to_run(
        client,
        namespace,
        &target,
        crate::pods::Runs::Container(container),
    )
    .await?;
    Ok(Whereabouts::Moved(
        now.pod.metadata.name.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab(pod: &str, command: Option<&[&str]>) -> SavedTab {
        SavedTab {
            profile: "p".into(),
            namespace: "demo".into(),
            pod: pod.into(),
            container: String::new(),
            command: command.map(|c| c.iter().map(|s| s.to_string()).collect()),
            favourite: None,
            owner: None,
            view: TabView::Terminal,
            debug: None,
            ephemeral: false,
        }
    }

    #[test]
    fn tabs_round_trip_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path()).expect("none"), SavedTabs::default());
        let tabs = SavedTabs {
            tabs: vec![
                tab("a", None),
                SavedTab {
                    owner: Some(PodOwner {
                        kind: "ReplicaSet".into(),
                        name: "web-1".into(),
                    }),
                    favourite: Some("web".into()),
                    ..tab("b", Some(&["top", "-d", "1"]))
                },
                SavedTab {
                    view: TabView::WorkloadLogs,
                    ..tab("web-2", None)
                },
                SavedTab {
                    debug: Some(DebugRequest {
                        image: "busybox:1.36".into(),
                        name: "debugger-x1".into(),
                    }),
                    ..tab("distroless", None)
                },
                SavedTab {
                    ephemeral: true,
                    ..tab("distroless", None)
                },
            ],
            active: Some(1),
            extra: Extra::new(),
        };
        save(dir.path(), &tabs).expect("save");
        assert_eq!(load(dir.path()).expect("load"), tabs);
    }

    #[test]
    fn a_version_1_file_reads_as_terminals_and_is_written_back_as_version_2() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            r#"{"version": 1, "tabs": [{"profile": "p", "namespace": "demo", "pod": "a", "container": ""}], "active": 0}"#,
        )
        .expect("write");
        let mut tabs = load(dir.path()).expect("load");
        assert_eq!(tabs.tabs, [tab("a", None)]);
        tabs.tabs.push(tab("b", None));
        save(dir.path(), &tabs).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["version"], 2, "{text}");
        assert_eq!(json["tabs"][0]["view"], "terminal", "{text}");
    }

    #[test]
    fn a_command_that_looks_secret_is_not_saved_and_the_active_index_follows() {
        let dir = tempfile::tempdir().expect("dir");
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl";
        let tabs = SavedTabs {
            tabs: vec![
                tab("a", Some(&["mysql", "--password=hunter2"])),
                tab("b", Some(&["curl", "-H", token])),
                tab("c", Some(&["psql", "--password-file", "/run/pw"])),
                tab("d", None),
            ],
            active: Some(3),
            extra: Extra::new(),
        };
        save(dir.path(), &tabs).expect("save");
        let saved = load(dir.path()).expect("load");
        let pods: Vec<&str> = saved.tabs.iter().map(|t| t.pod.as_str()).collect();
        assert_eq!(pods, ["c", "d"]);
        assert_eq!(saved.active, Some(1));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        assert!(!text.contains("hunter2") && !text.contains(token), "{text}");
    }

    #[tokio::test]
    async fn restore_follows_moved_pods_marks_gone_ones_and_keeps_the_rest() {
        let saved = SavedTabs {
            tabs: vec![
                tab("same", None),
                tab("web-old", None),
                tab("deleted", None),
                SavedTab {
                    favourite: Some("db".into()),
                    ..tab("db-0", None)
                },
                tab("unreachable", Some(&["top"])),
            ],
            active: Some(3),
            extra: Extra::new(),
        };
        let mut asked = Vec::new();
        let restored = restore(saved, |t| {
            asked.push(t.pod.clone());
            async move {
                match t.pod.as_str() {
                    "same" => Ok(Whereabouts::Same),
                    "web-old" => Ok(Whereabouts::Moved("web-new".into())),
                    "deleted" => Ok(Whereabouts::Gone),
                    _ => Err("connection refused"),
                }
            }
        })
        .await;
        // A favourite's tab is not looked for: it resolves again when it opens.
        assert_eq!(asked, ["same", "web-old", "deleted", "unreachable"]);
        let got: Vec<(&str, Option<&str>, bool)> = restored
            .tabs
            .iter()
            .map(|r| (r.tab.pod.as_str(), r.moved_from.as_deref(), r.gone))
            .collect();
        assert_eq!(
            got,
            [
                ("same", None, false),
                ("web-new", Some("web-old"), false),
                ("deleted", None, true),
                ("db-0", None, false),
                ("unreachable", None, false),
            ]
        );
        assert_eq!(restored.active, Some(3));
        assert_eq!(
            restored.tabs[4].tab.command.as_deref(),
            Some(&["top".to_string()][..])
        );
    }

    /// All tabs are looked for at once, each bounded: a cluster that never answers holds back
    /// neither the others nor itself past the bound (it reopens as saved).
    #[tokio::test]
    async fn restore_looks_for_every_tab_at_once_each_bounded() {
        let saved = SavedTabs {
            tabs: vec![tab("silent", None), tab("web-old", None)],
            active: None,
            extra: Extra::new(),
        };
        // The outer bound turns a hang (the silent look unbounded) into a failure.
        let restored = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            restore_within(
                saved,
                std::time::Duration::from_millis(300),
                |t| async move {
                    match t.pod.as_str() {
                        "silent" => std::future::pending().await,
                        _ => Ok::<_, &str>(Whereabouts::Moved("web-new".into())),
                    }
                },
            ),
        )
        .await
        .expect("every look ends within its bound");
        let got: Vec<(&str, Option<&str>)> = restored
            .tabs
            .iter()
            .map(|r| (r.tab.pod.as_str(), r.moved_from.as_deref()))
            .collect();
        assert_eq!(got, [("silent", None), ("web-new", Some("web-old"))]);
    }

    #[test]
    fn at_most_max_tabs_and_a_newer_file_is_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let many = SavedTabs {
            tabs: (0..MAX_TABS + 5)
                .map(|i| tab(&format!("p{i}"), None))
                .collect(),
            active: None,
            extra: Extra::new(),
        };
        save(dir.path(), &many).expect("save");
        assert_eq!(load(dir.path()).expect("load").tabs.len(), MAX_TABS);
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, r#"{"version": 99, "tabs": []}"#).expect("write");
        assert!(matches!(
            save(dir.path(), &SavedTabs::default()),
            Err(StoreError::NewerVersion { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            r#"{"version": 99, "tabs": []}"#
        );
    }
}
