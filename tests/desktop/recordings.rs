//! Recordings in the app without a window (issue 18): a profile that records every session is
//! recorded from the session's first byte into the app's recordings folder, a tab's recording
//! started and stopped by hand, the recordings listed and read back in pages by their id, and
//! ids that would reach outside a recordings folder refused. Needs the keyring (the profile's
//! token): run under scripts/with-keyring.sh.

use bytes::Bytes;
use podterm_core::recordings::AutoRecord;
use podterm_desktop_lib::demo::DEMO_NAME;
use podterm_desktop_lib::error::ErrorKind;
use podterm_desktop_lib::ipc::{ManualProfile, OpenSessionRequest, SessionState, TerminalRequest};
use podterm_desktop_lib::state::{Config, Profiles, Recordings, Sessions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Tab {
    id: u32,
    output: mpsc::UnboundedReceiver<Bytes>,
    states: mpsc::UnboundedReceiver<SessionState>,
    seen: Vec<u8>,
    /// Every state in order.
    log: Vec<SessionState>,
}

/// The app's profiles (a fresh config directory under `dir`, the Demo cluster started), its
/// sessions, and its recordings with their folder.
async fn parts(dir: &Path) -> (Profiles, Sessions, Recordings, PathBuf) {
    #[allow(clippy::needless_update)]
    let config = Config {
        profiles_dir: Some(dir.join("config")),
        ..Config::default()
    };
    let profiles = Profiles::new(tokio::runtime::Handle::current(), config);
    profiles.demo().await.expect("demo");
    let folder = dir.join("recordings");
    let recordings = Recordings::new(Some(folder.clone()));
    (profiles, Sessions::new(), recordings, folder)
}

/// A profile `name` typed by hand for the Demo cluster (its server, CA and `demo-admin`'s
/// token), in namespace `demo`.
async fn demo_by_hand(profiles: &Profiles, name: &str) -> ManualProfile {
    let (url, ca, token) = profiles
        .with_demo_cluster(|c| {
            (
                c.url(),
                c.ca_pem().to_string(),
                c.token("demo-admin").map(str::to_string),
            )
        })
        .await
        .expect("demo cluster");
    ManualProfile {
        name: name.into(),
        server: url,
        namespace: Some("demo".into()),
        ca_pem: Some(ca),
        token: token.map(podterm_core::vault::Secret::new),
        ..ManualProfile::default()
    }
}

fn open(sessions: &Sessions, profiles: &Profiles, profile: &str, auto: Option<AutoRecord>) -> Tab {
    let (out_tx, output) = mpsc::unbounded_channel();
    let (state_tx, states) = mpsc::unbounded_channel();
    let id = sessions.open_recorded(
        profiles,
        OpenSessionRequest {
            profile: profile.into(),
            terminal: TerminalRequest {
                namespace: "demo".into(),
                pod: "shell".into(),
                container: String::new(),
                command: None,
                cols: 100,
                rows: 30,
                debug: None,
                copy: None,
            },
            socket: None,
        },
        // Every byte drawn: the recording is compared with what the tab received.
        None,
        auto,
        move |b| out_tx.send(b).is_ok(),
        move |s| {
            let _ = state_tx.send(s);
        },
    );
    Tab {
        id,
        output,
        states,
        seen: Vec::new(),
        log: Vec::new(),
    }
}

impl Tab {
    /// Reads (and acknowledges) output and states until `done` holds.
    async fn until(&mut self, sessions: &Sessions, what: &str, done: impl Fn(&Tab) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::select! {
                Some(chunk) = self.output.recv() => {
                    sessions.ack(self.id, chunk.len(), Duration::ZERO);
                    self.seen.extend_from_slice(&chunk);
                }
                Some(s) = self.states.recv() => self.log.push(s),
                () = tokio::time::sleep(left) => panic!(
                    "{what}: not within 20 s; output {:?}, states {:?}",
                    String::from_utf8_lossy(&self.seen),
                    self.log
                ),
            }
        }
    }

    /// Reads until the final state, then until as many bytes as it counts have arrived: the
    /// state may overtake the last output on its way (two channels, as in the webview).
    async fn end(&mut self, sessions: &Sessions) {
        self.until(sessions, "the end", Tab::ended).await;
        let counted = self.log.iter().find_map(|s| match s {
            SessionState::Exited { output_bytes, .. } | SessionState::Lost { output_bytes, .. } => {
                Some(*output_bytes)
            }
            _ => None,
        });
        let count = counted.expect("a final state");
        self.until(sessions, "the output the final state counts", |t| {
            t.seen.len() as u64 >= count
        })
        .await;
        assert_eq!(
            self.seen.len() as u64,
            count,
            "output counted by the final state"
        );
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    fn ended(&self) -> bool {
        self.log
            .iter()
            .any(|s| matches!(s, SessionState::Exited { .. } | SessionState::Lost { .. }))
    }
}

/// The `"o"` events' data of a recording, read back through the registry `per_page` events at
/// a time; and how many pages that took.
fn read_all(
    recordings: &Recordings,
    profiles: &Profiles,
    id: &str,
    per_page: usize,
) -> (String, usize) {
    let (mut out, mut pages, mut offset) = (String::new(), 0, 0u64);
    loop {
        let page = recordings
            .read_within(profiles, id, offset, per_page, 1 << 20)
            .expect("a page");
        assert!(page.events.len() <= per_page, "a page over its bound");
        assert_eq!((page.width, page.height), (100, 30));
        pages += 1;
        for e in &page.events {
            assert_ne!(e.code, "i", "input recorded without being asked");
            if e.code == "o" {
                out.push_str(&e.data);
            }
        }
        match page.next {
            Some(n) => offset = n,
            None => return (out, pages),
        }
        assert!(pages < 10_000, "pages never end");
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_recording_every_session_is_listed_read_back_in_pages_and_ids_stay_in_the_folder()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let (profiles, sessions, recordings, folder) = parts(dir.path()).await;
    profiles
        .save(ManualProfile {
            production: true,
            record_sessions: true,
            ..demo_by_hand(&profiles, "prod eu").await
        })
        .await
        .expect("save");
    let listed = profiles.list().expect("list");
    assert!(
        listed
            .iter()
            .any(|p| p.name == "prod eu" && p.record_sessions),
        "{listed:?}"
    );
    let auto = recordings.auto_for(&profiles, "prod eu");
    assert_eq!(
        auto,
        Some(AutoRecord {
            folder: folder.clone(),
            input: false
        })
    );
    assert_eq!(recordings.auto_for(&profiles, DEMO_NAME), None);

    // Recorded from the first byte: the recording is said before the session is connected.
    let mut tab = open(&sessions, &profiles, "prod eu", auto);
    tab.until(&sessions, "connected", |t| {
        t.log.contains(&SessionState::Connected)
    })
    .await;
    let recording_at = tab
        .log
        .iter()
        .position(|s| matches!(s, SessionState::Recording { .. }))
        .expect("a recording state");
    let connected_at = tab
        .log
        .iter()
        .position(|s| *s == SessionState::Connected)
        .expect("connected");
    assert!(recording_at < connected_at, "{:?}", tab.log);
    let Some(SessionState::Recording { file, path }) = tab.log.get(recording_at).cloned() else {
        unreachable!()
    };
    assert!(
        file.starts_with("prod-eu_demo_shell_") && file.ends_with("Z.cast"),
        "{file}"
    );
    assert_eq!(PathBuf::from(&path), folder.join(&file));
    assert_eq!(
        sessions.recording(tab.id).as_deref(),
        Some(folder.join(&file).as_path())
    );
    // Output in four bursts 0.3 s apart: the recording joins output that comes within a few
    // milliseconds into one event, and this must make more events than a page of three holds.
    sessions
        .send_input(
            tab.id,
            Bytes::from_static(
                b"printf 'REC-%s\\n' $((6*7)); sleep 0.3; echo A1; sleep 0.3; echo B2; sleep 0.3; echo C3\r",
            ),
        )
        .expect("input");
    tab.until(&sessions, "REC-42 and the bursts after it", |t| {
        t.text().contains("REC-42") && t.text().contains("\nC3")
    })
    .await;
    sessions
        .send_input(tab.id, Bytes::from_static(b"exit\r"))
        .expect("exit");
    tab.end(&sessions).await;
    let stopped = tab
        .log
        .iter()
        .position(|s| matches!(s, SessionState::RecordingStopped { reason: None, .. }))
        .expect("the recording's end said");
    assert!(
        stopped < tab.log.len() - 1,
        "said after the final state: {:?}",
        tab.log
    );
    #[cfg(unix)]
    assert_eq!(mode(&folder.join(&file)), 0o600);

    // Listed, with its title; read back in pages of 3 events: every byte the terminal got.
    let list = recordings.list(&profiles);
    assert_eq!(list.len(), 1, "{list:?}");
    let entry = &list[0];
    assert_eq!(entry.id, format!("0/{file}"));
    assert_eq!(entry.name, file);
    assert!(
        entry
            .title
            .as_deref()
            .is_some_and(|t| t.starts_with("prod eu: demo/shell/")),
        "{entry:?}"
    );
    assert!(
        entry.duration.is_some() && entry.problem.is_none(),
        "{entry:?}"
    );
    let (played, pages) = read_all(&recordings, &profiles, &entry.id, 3);
    assert!(pages > 1, "one page only: {pages}");
    assert_eq!(
        played,
        tab.text(),
        "the recording differs from what the tab got"
    );
    let (whole, one) = read_all(&recordings, &profiles, &entry.id, 100_000);
    assert_eq!((whole, one), (played, 1));

    // A tab of a profile that does not record: started and stopped by hand, twice, two files.
    let mut demo = open(&sessions, &profiles, DEMO_NAME, None);
    demo.until(&sessions, "connected", |t| {
        t.log.contains(&SessionState::Connected)
    })
    .await;
    assert!(sessions.recording(demo.id).is_none());
    let (target, input) = recordings.target(&profiles, DEMO_NAME).expect("target");
    assert_eq!((target.as_path(), input), (folder.as_path(), false));
    let first = sessions
        .start_recording(demo.id, &target, input)
        .expect("start");
    sessions
        .send_input(demo.id, Bytes::from_static(b"echo by-hand-one\r"))
        .expect("input");
    // The command as typed, then its answer.
    demo.until(&sessions, "the echo", |t| {
        t.text().matches("by-hand-one").count() >= 2
    })
    .await;
    sessions.stop_recording(demo.id).expect("stop");
    assert!(sessions.recording(demo.id).is_none());
    let second = sessions
        .start_recording(demo.id, &target, input)
        .expect("again");
    assert_ne!(first, second, "a recording was overwritten");
    sessions
        .send_input(demo.id, Bytes::from_static(b"echo by-hand-two\r"))
        .expect("input");
    demo.until(&sessions, "the second echo", |t| {
        t.text().matches("by-hand-two").count() >= 2
    })
    .await;
    sessions.close(demo.id);
    assert!(sessions.recording(demo.id).is_none());
    let text = std::fs::read_to_string(&first).expect("first");
    assert!(
        text.contains("by-hand-one") && !text.contains("by-hand-two"),
        "{text}"
    );
    let text = std::fs::read_to_string(&second).expect("second");
    assert!(text.contains("by-hand-two"), "{text}");
    assert_eq!(recordings.list(&profiles).len(), 3);
    // A closed session takes no recording.
    let e = sessions
        .start_recording(demo.id, &target, false)
        .expect_err("closed");
    assert_eq!(e.kind(), ErrorKind::SessionEnded);

    // Ids reach plain .cast files directly in a recordings folder, nothing else.
    std::fs::write(
        dir.path().join("outside.cast"),
        "{\"version\":2,\"width\":1,\"height\":1}\n",
    )
    .expect("outside");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("outside.cast"), folder.join("link.cast"))
        .expect("symlink");
    for bad in [
        "0/../outside.cast".to_string(),
        "0/link.cast".into(),
        "1/".to_string() + &file,
        "0/../config/profiles.json".into(),
        "0".into(),
        "x/a.cast".into(),
        format!("0/{}", folder.join(&file).display()),
    ] {
        let e = recordings
            .read(&profiles, &bad, 0)
            .expect_err(&format!("{bad} was read"));
        assert_eq!(e.kind(), ErrorKind::NotFound, "{bad}: {e}");
        assert!(recordings.delete(&profiles, &bad).is_err(), "{bad} deleted");
    }
    assert!(dir.path().join("outside.cast").exists());
    recordings
        .delete(&profiles, &entry.id)
        .expect("delete the first");
    assert_eq!(recordings.list(&profiles).len(), 2);
}

/// "Record every session" ticked on a cluster with tabs open: they are recorded from then on
/// (their state says so, as a tab's ● REC shows it), not only the sessions opened after; saved
/// again with it still on, a recording stopped by hand stays stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_every_session_ticked_records_the_clusters_open_tabs_too() {
    use podterm_desktop_lib::state::{save_profile, Forwards};
    let dir = tempfile::tempdir().expect("tempdir");
    let (profiles, sessions, recordings, folder) = parts(dir.path()).await;
    let forwards = Forwards::new();
    let base = demo_by_hand(&profiles, "ops").await;
    let ops = |original: Option<&str>, record_sessions: bool| ManualProfile {
        original: original.map(str::to_string),
        record_sessions,
        ..base.clone()
    };
    save_profile(
        &profiles,
        &forwards,
        &sessions,
        &recordings,
        ops(None, false),
    )
    .await
    .expect("save");
    let mut tab = open(&sessions, &profiles, "ops", None);
    let mut other = open(&sessions, &profiles, DEMO_NAME, None);
    for t in [&mut tab, &mut other] {
        t.until(&sessions, "connected", |t| {
            t.log.contains(&SessionState::Connected)
        })
        .await;
    }
    assert!(sessions.recording(tab.id).is_none());

    save_profile(
        &profiles,
        &forwards,
        &sessions,
        &recordings,
        ops(Some("ops"), true),
    )
    .await
    .expect("record every session");
    tab.until(&sessions, "its recording", |t| {
        t.log
            .iter()
            .any(|s| matches!(s, SessionState::Recording { .. }))
    })
    .await;
    let file = sessions.recording(tab.id).expect("recording");
    assert_eq!(file.parent(), Some(folder.as_path()));
    // Another cluster's tab is not recorded.
    assert!(sessions.recording(other.id).is_none());
    // What comes from now on is in the file.
    sessions
        .send_input(tab.id, Bytes::from_static(b"echo LATE-$((6*7))\r"))
        .expect("input");
    tab.until(&sessions, "LATE-42", |t| t.text().contains("LATE-42"))
        .await;

    // Stopped by hand, then the cluster saved again (another change): it stays stopped.
    sessions.stop_recording(tab.id).expect("stop");
    tab.until(&sessions, "the recording's end", |t| {
        t.log
            .iter()
            .any(|s| matches!(s, SessionState::RecordingStopped { .. }))
    })
    .await;
    save_profile(
        &profiles,
        &forwards,
        &sessions,
        &recordings,
        ops(Some("ops"), true),
    )
    .await
    .expect("saved again");
    assert!(sessions.recording(tab.id).is_none());
    let recorded = std::fs::read_to_string(&file).expect("the recording");
    assert!(recorded.contains("LATE-42"), "{recorded}");
    for t in [&mut tab, &mut other] {
        sessions
            .send_input(t.id, Bytes::from_static(b"exit\r"))
            .expect("exit");
        t.end(&sessions).await;
    }
}
