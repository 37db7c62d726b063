//! The state behind the commands, one registry a concern: [`Profiles`] (saved and Demo
//! profiles, the keyring, a client per profile), [`Sessions`] (open exec sessions by id, and
//! the pod copies they were opened in), [`Watches`] (live pod lists by id), [`LogViews`] (open
//! Logs views' streams by id), [`Transfers`] (file copies to and from containers by id),
//! [`Forwards`] (port forwards to pods by id),
//! [`Recordings`] (the recordings folders, read by id), and [`favourites`] over the profiles.
//!
//! Nothing here knows about Tauri: outputs go to plain closures, so tests drive the same code
//! the commands call, without a window. Nothing here speaks Kubernetes either: that is
//! podterm-core's.

pub mod favourites;
pub mod forwards;
pub mod logs;
pub mod profiles;
pub mod recordings;
pub mod sessions;
pub mod transfers;
pub mod watches;

pub use forwards::Forwards;
pub use logs::LogViews;
pub use profiles::{Config, Profiles};
pub use recordings::Recordings;
pub use sessions::Sessions;
pub use transfers::Transfers;
pub use watches::Watches;

use std::sync::{Mutex, MutexGuard};

/// Saves a profile typed by hand ([`Profiles::save`]). A rename takes the cluster's favourites,
/// port forwards and pod copies along, which name it (the page renames its open tabs' cluster
/// itself).
pub async fn save_profile(
    profiles: &Profiles,
    forwards: &Forwards,
    sessions: &Sessions,
    recordings: &Recordings,
    input: crate::ipc::ManualProfile,
) -> crate::error::Result<crate::ipc::ProfileSummary> {
    let original = input.original.clone();
    let recorded_before = original.as_deref().is_some_and(|name| {
        profiles
            .saved()
            .iter()
            .any(|p| p.name == name && p.record_sessions)
    });
    let saved = profiles.save(input).await?;
    if let Some(old) = original.filter(|o| *o != saved.name) {
        // The profile is saved: a favourites file that cannot be written is said in the log,
        // not as a failed save.
        if let Err(e) = favourites::rename_profile(profiles, &old, &saved.name) {
            tracing::warn!("the favourites of {old} could not follow its new name: {e}");
        }
        forwards.rename_profile(&old, &saved.name);
        sessions.rename_profile(&old, &saved.name);
    }
    // "Record every session" just ticked: the cluster's tabs open now are recorded from here
    // on too (each tab's ● REC says so), not only the sessions opened after. Ticked before, a
    // recording stopped by hand stays stopped.
    match recordings.auto_for(profiles, &saved.name) {
        Some(auto) if !recorded_before => sessions.record_all_of(&saved.name, &auto),
        Some(_) => {}
        // Unticked: a tab still connecting does not start recording as it begins.
        None => sessions.disarm_all_of(&saved.name),
    }
    Ok(saved)
}

/// A lock that survives a panic elsewhere (the data is plain maps of handles).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The ids of sessions and watches handed to the webview, unique in the process.
pub(crate) fn next_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
