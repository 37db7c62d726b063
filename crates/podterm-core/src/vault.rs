//! Secrets of saved profiles: one entry per secret in the OS keyring (service `podterm`, account
//! `<profile-id>/<field>`), or in memory for this run only ("don't remember"). Keyring calls are
//! blocking D-Bus round trips on Linux: they run off the async runtime.
//!
//! The OS keyring is `keyring-core` with one store per OS: the Secret Service (gnome-keyring,
//! KWallet, KeePassXC…) through `zbus-secret-service-keyring-store` on Linux and the BSDs, the
//! Keychain on macOS, the Credential Manager on Windows. On the Secret Service an entry is an item
//! in the default ("login") collection with the attributes `service` = `podterm` and
//! `username` = `<profile-id>/<field>`, labelled `keyring:<profile-id>/<field>@podterm`.
//!
//! There is never a plain-text fallback: without a keyring the caller gets
//! [`VaultError::NoService`] or [`VaultError::Locked`] and may offer [`Vault::memory`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zeroize::Zeroize;

/// The keyring service every entry is filed under.
pub const SERVICE: &str = "podterm";

/// How long one keyring call may take before the caller is told so. Long enough for a person to
/// answer an unlock prompt of the desktop keyring; a headless keyring fails a prompt at once.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a secret could not be stored or read. Never falls back to plain text.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No keyring service answered (no D-Bus session, no Secret Service provider).
    #[error("no OS keyring is available ({0}): install and start a Secret Service provider such as gnome-keyring (package gnome-keyring) in your desktop session, then try again")]
    NoService(String),
    /// The keyring is locked and could not be unlocked without a prompt.
    #[error("the OS keyring is locked ({0}): unlock it (log in to the desktop session, or open Passwords and Keys) and try again")]
    Locked(String),
    /// The keyring refused or failed.
    #[error("the OS keyring failed: {0}")]
    Backend(String),
}

/// A secret value: redacted in Debug, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself; keep the borrow short.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Overwrites the whole allocation (not only the length) before it is released.
        self.0.zeroize();
    }
}

/// The keyring account of one secret.
pub fn account(profile_id: &str, field: &str) -> String {
    format!("{profile_id}/{field}")
}

#[derive(Clone)]
enum Backend {
    Keyring,
    Memory(Arc<Mutex<HashMap<String, Secret>>>),
}

type Overlay = Arc<Mutex<HashMap<String, Secret>>>;

/// Where secrets live: a backend, plus secrets the user chose not to remember (kept in memory
/// for this run, in front of the backend).
#[derive(Clone)]
pub struct Vault {
    backend: Backend,
    this_run: Overlay,
}

impl Vault {
    /// Secrets in memory for this run only.
    pub fn memory() -> Self {
        Vault {
            backend: Backend::Memory(Arc::new(Mutex::new(HashMap::new()))),
            this_run: Overlay::default(),
        }
    }

    /// The OS keyring. Connects to it (once per process, on the first success), so a missing
    /// keyring service shows here as [`VaultError::NoService`] (after a second try: a service
    /// that died as we connected is started again by the session bus); a later call retries. The
    /// connection is a short blocking call: inside a multi-threaded tokio runtime it is moved off
    /// the worker with `block_in_place`.
    pub fn os() -> Result<Vault, VaultError> {
        os_store::blocking(os_store::connect)?;
        Ok(Vault {
            backend: Backend::Keyring,
            this_run: Overlay::default(),
        })
    }

    /// Whether secrets survive this run.
    /// The vault a saved profile needs: the OS keyring when it has secrets there, else an empty
    /// in-memory one (a token-file or key-file profile works where no keyring runs).
    pub fn for_profile(profile: &crate::profiles::Profile) -> Result<Vault, VaultError> {
        if profile.secret_fields().is_empty() {
            Ok(Vault::memory())
        } else {
            Vault::os()
        }
    }

    pub fn is_persistent(&self) -> bool {
        matches!(self.backend, Backend::Keyring)
    }

    pub async fn set(
        &self,
        profile_id: &str,
        field: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        let acct = account(profile_id, field);
        match &self.backend {
            Backend::Memory(m) => {
                m.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(acct, secret.clone());
                Ok(())
            }
            Backend::Keyring => {
                let secret = secret.clone();
                os_store::run(move |store| os_store::set(store, &acct, &secret)).await
            }
        }
    }

    /// "Don't remember": keeps a secret in memory for this run only, in front of the backend
    /// (and removes any remembered copy, so the choice holds after the run).
    pub async fn set_for_this_run(
        &self,
        profile_id: &str,
        field: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        self.delete(profile_id, field).await?;
        self.this_run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account(profile_id, field), secret.clone());
        Ok(())
    }

    /// A new value for a secret, kept where the old one is: in this run's memory if the user
    /// chose not to remember it ([`Vault::set_for_this_run`]), else in the backend.
    pub async fn update(
        &self,
        profile_id: &str,
        field: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        {
            let mut this_run = self.this_run.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(held) = this_run.get_mut(&account(profile_id, field)) {
                *held = secret.clone();
                return Ok(());
            }
        }
        self.set(profile_id, field, secret).await
    }

    /// The secret, or `None` when there is no such entry.
    pub async fn get(&self, profile_id: &str, field: &str) -> Result<Option<Secret>, VaultError> {
        let acct = account(profile_id, field);
        if let Some(s) = self
            .this_run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&acct)
        {
            return Ok(Some(s.clone()));
        }
        match &self.backend {
            Backend::Memory(m) => Ok(m
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&acct)
                .cloned()),
            Backend::Keyring => os_store::run(move |store| os_store::get(store, &acct)).await,
        }
    }

    /// Removes an entry (remembered or for this run); a missing one is not an error.
    pub async fn delete(&self, profile_id: &str, field: &str) -> Result<(), VaultError> {
        let acct = account(profile_id, field);
        self.this_run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&acct);
        match &self.backend {
            Backend::Memory(m) => {
                m.lock().unwrap_or_else(|p| p.into_inner()).remove(&acct);
                Ok(())
            }
            Backend::Keyring => os_store::run(move |store| os_store::delete(store, &acct)).await,
        }
    }

    /// Removes the entries of these fields of a profile (missing ones are fine). Tries every field
    /// and returns the first error, so one failure does not leave the others behind.
    pub async fn delete_profile(
        &self,
        profile_id: &str,
        fields: &[&str],
    ) -> Result<(), VaultError> {
        let mut first_err = None;
        for field in fields {
            if let Err(e) = self.delete(profile_id, field).await {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

/// The OS keyring through `keyring-core`. Every function here blocks.
mod os_store {
    use std::sync::{Arc, Mutex, PoisonError};

    use keyring_core::{CredentialStore, Entry, Error};
    use zeroize::Zeroize;

    use super::{Secret, VaultError, CALL_TIMEOUT, SERVICE};

    /// The process's connection to the keyring. A mutex rather than a `Once`: a failed
    /// connection (no keyring yet) is retried by the next call, a good one is kept until the
    /// service is found gone. Each call holds its own handle, so one call dropping a store it
    /// found dead never pulls the store from under another call (entries are made in a given
    /// store, never in `keyring_core`'s process-wide default).
    static STORE: Mutex<Option<Arc<CredentialStore>>> = Mutex::new(None);

    /// The connection, made now if there is none.
    fn store() -> Result<Arc<CredentialStore>, VaultError> {
        let mut current = STORE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = &*current {
            return Ok(store.clone());
        }
        // Any failure to create the store is a failure to reach the keyring service.
        let store = new_store().map_err(|e| match e {
            Error::PlatformFailure(err) | Error::NoStorageAccess(err) => {
                VaultError::NoService(no_service_reason(&*err))
            }
            Error::NoDefaultStore => VaultError::NoService(e.to_string()),
            other => VaultError::NoService(describe(other)),
        })?;
        *current = Some(store.clone());
        Ok(store)
    }

    /// Drops this connection, found dead, unless another call has already replaced it.
    fn forget(dead: &Arc<CredentialStore>) {
        let mut current = STORE.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|s| Arc::ptr_eq(s, dead)) {
            *current = None;
        }
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }

    #[cfg(target_os = "macos")]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }

    #[cfg(target_os = "windows")]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(windows_native_keyring_store::Store::new()?)
    }

    #[cfg(not(any(
        all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        ),
        target_os = "macos",
        target_os = "windows"
    )))]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Err(Error::NotSupportedByStore(
            "Podterm has no OS keyring store for this platform".into(),
        ))
    }

    /// Connects to the keyring service, once more when the first try finds no service: a
    /// Secret Service that died while opening our session (gnome-keyring can abort when clients
    /// open sessions at the same moment) is started again by the session bus on the next call.
    pub(super) fn connect() -> Result<Arc<CredentialStore>, VaultError> {
        match store() {
            Err(VaultError::NoService(_)) => store(),
            other => other,
        }
    }

    /// One keyring call on the connection, made once more on a new connection when it finds the
    /// service gone: the daemon died or was restarted since we connected (our session is unknown
    /// to the new one), or died while answering. Every call here is idempotent (set overwrites,
    /// delete of a missing entry is fine), so a second try cannot do anything twice.
    fn reconnecting<T>(
        f: impl Fn(&Arc<CredentialStore>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let attempt = |store: Arc<CredentialStore>| {
            let result = f(&store);
            if let Err(VaultError::NoService(_)) = &result {
                forget(&store);
            }
            result
        };
        // No keyring at all fails in `connect` (which has tried twice): no third try.
        match attempt(connect()?) {
            Err(VaultError::NoService(_)) => attempt(connect()?),
            other => other,
        }
    }

    /// Runs a keyring call on the blocking pool, bounded by [`CALL_TIMEOUT`].
    pub(super) async fn run<T, F>(f: F) -> Result<T, VaultError>
    where
        F: Fn(&Arc<CredentialStore>) -> Result<T, VaultError> + Send + 'static,
        T: Send + 'static,
    {
        let task = tokio::task::spawn_blocking(move || reconnecting(f));
        match tokio::time::timeout(CALL_TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(VaultError::Backend(format!(
                "the keyring call did not finish: {join}"
            ))),
            Err(_) => Err(VaultError::Locked(format!(
                "no answer from the keyring within {} s; an unlock prompt may be waiting",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Runs a blocking call from synchronous code, off the worker thread when that is a tokio
    /// multi-threaded runtime's.
    pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(f)
            }
            _ => f(),
        }
    }

    fn entry(store: &Arc<CredentialStore>, acct: &str) -> Result<Entry, VaultError> {
        Entry::new_in_store(store, SERVICE, acct).map_err(map_error)
    }

    pub(super) fn set(
        store: &Arc<CredentialStore>,
        acct: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        let e = entry(store, acct)?;
        match e.set_password(secret.expose()) {
            Ok(()) => Ok(()),
            Err(Error::Ambiguous(dups)) => {
                // Several items match (made by another program?): keep exactly one.
                for d in dups {
                    d.delete_credential().map_err(map_error)?;
                }
                e.set_password(secret.expose()).map_err(map_error)
            }
            Err(err) => Err(map_error(err)),
        }
    }

    pub(super) fn get(
        store: &Arc<CredentialStore>,
        acct: &str,
    ) -> Result<Option<Secret>, VaultError> {
        match entry(store, acct)?.get_password() {
            Ok(s) => Ok(Some(Secret(s))),
            Err(Error::NoEntry) => Ok(None),
            Err(Error::Ambiguous(dups)) => Err(VaultError::Backend(format!(
                "{} keyring entries match service {SERVICE} and account {acct}; remove the extra ones",
                dups.len()
            ))),
            Err(err) => Err(map_error(err)),
        }
    }

    pub(super) fn delete(store: &Arc<CredentialStore>, acct: &str) -> Result<(), VaultError> {
        match entry(store, acct)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(Error::Ambiguous(dups)) => {
                for d in dups {
                    match d.delete_credential() {
                        Ok(()) | Err(Error::NoEntry) => {}
                        Err(err) => return Err(map_error(err)),
                    }
                }
                Ok(())
            }
            Err(err) => Err(map_error(err)),
        }
    }

    /// A keyring error as a [`VaultError`]. Never formats secret bytes.
    fn map_error(e: Error) -> VaultError {
        match e {
            Error::NoStorageAccess(err) => match classify(&*err) {
                Class::NoService => VaultError::NoService(no_service_reason(&*err)),
                _ => VaultError::Locked(locked_reason(&*err)),
            },
            Error::PlatformFailure(err) => match classify(&*err) {
                Class::NoService => VaultError::NoService(no_service_reason(&*err)),
                Class::Locked => VaultError::Locked(locked_reason(&*err)),
                Class::Other => VaultError::Backend(err.to_string()),
            },
            Error::NoDefaultStore => VaultError::NoService(e.to_string()),
            other => VaultError::Backend(describe(other)),
        }
    }

    /// The text of an error that is neither "no service" nor "locked", without secret bytes.
    fn describe(e: Error) -> String {
        match e {
            Error::BadEncoding(mut bytes) => {
                bytes.zeroize();
                "the stored secret is not valid UTF-8".into()
            }
            Error::BadDataFormat(mut bytes, err) => {
                bytes.zeroize();
                format!("the stored secret is malformed: {err}")
            }
            Error::Ambiguous(dups) => format!("{} keyring entries match", dups.len()),
            other => other.to_string(),
        }
    }

    /// Why the keyring could not be used although it answered.
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn locked_reason(err: &(dyn std::error::Error + 'static)) -> String {
        use secret_service::Error as Ss;
        match err.downcast_ref::<Ss>() {
            Some(Ss::NoResult) => "the Secret Service has no default keyring (login collection), \
                or it is locked; creating or unlocking it needs a prompt"
                .into(),
            Some(Ss::Prompt) => "the unlock prompt was dismissed or could not be shown".into(),
            Some(Ss::PromptDisconnected) => {
                "the keyring service went away while an unlock prompt was open".into()
            }
            _ => err.to_string(),
        }
    }

    #[cfg(not(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )))]
    fn locked_reason(err: &(dyn std::error::Error + 'static)) -> String {
        err.to_string()
    }

    /// Why there is no service, with a hint when there is no session bus at all.
    fn no_service_reason(err: &(dyn std::error::Error + 'static)) -> String {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() && cfg!(target_os = "linux") {
            format!("{err}; DBUS_SESSION_BUS_ADDRESS is not set, so there is no D-Bus session bus")
        } else {
            err.to_string()
        }
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Class {
        NoService,
        Locked,
        Other,
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn classify(err: &(dyn std::error::Error + 'static)) -> Class {
        use secret_service::Error as Ss;
        match err.downcast_ref::<Ss>() {
            Some(Ss::Unavailable) => Class::NoService,
            Some(Ss::Locked | Ss::Prompt | Ss::PromptDisconnected | Ss::NoResult) => Class::Locked,
            Some(Ss::Zbus(z)) => classify_zbus(z),
            Some(Ss::ZbusFdo(f)) => classify_name(zbus::DBusError::name(f).as_str()),
            _ => Class::Other,
        }
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn classify_zbus(z: &zbus::Error) -> Class {
        match z {
            zbus::Error::Address(_)
            | zbus::Error::InputOutput(_)
            | zbus::Error::InterfaceNotFound => Class::NoService,
            zbus::Error::MethodError(name, _, _) => classify_name(name.as_str()),
            zbus::Error::FDO(f) => classify_name(zbus::DBusError::name(&**f).as_str()),
            _ => Class::Other,
        }
    }

    /// By D-Bus error name: nobody owns `org.freedesktop.secrets` (or the bus is gone), or the
    /// Secret Service says the collection or item is locked.
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn classify_name(name: &str) -> Class {
        match name {
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner"
            | "org.freedesktop.DBus.Error.NoServer"
            | "org.freedesktop.DBus.Error.Disconnected"
            // The service died before it answered.
            | "org.freedesktop.DBus.Error.NoReply"
            // The service our session was opened with is gone (a new daemon owns the name).
            | "org.freedesktop.Secret.Error.NoSession" => Class::NoService,
            n if n.starts_with("org.freedesktop.DBus.Error.Spawn.") => Class::NoService,
            "org.freedesktop.Secret.Error.IsLocked" => Class::Locked,
            _ => Class::Other,
        }
    }

    /// Other platforms: the store's own split between "no storage access" (locked) and failures.
    #[cfg(not(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )))]
    fn classify(_err: &(dyn std::error::Error + 'static)) -> Class {
        Class::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_without_secrets_needs_no_keyring() {
        use crate::profiles::{Auth, Profile};
        let p = Profile::new("a", "https://x.test", Auth::TokenFile { path: "/t".into() });
        let v = Vault::for_profile(&p).expect("no keyring needed");
        assert!(!v.is_persistent());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[tokio::test]
    async fn an_update_stays_where_the_user_chose_to_keep_the_secret() {
        let v = Vault::memory();
        v.set_for_this_run("p", "token", &Secret::new("old"))
            .await
            .expect("this run");
        v.update("p", "token", &Secret::new("new"))
            .await
            .expect("update");
        assert_eq!(
            v.get("p", "token").await.expect("get"),
            Some(Secret::new("new"))
        );
        // Not remembered: the backend holds nothing.
        v.this_run.lock().expect("lock").clear();
        assert_eq!(v.get("p", "token").await.expect("get"), None);
        // A remembered one is written where it was.
        v.set("p", "key", &Secret::new("old")).await.expect("set");
        v.update("p", "key", &Secret::new("new"))
            .await
            .expect("update");
        assert_eq!(
            v.get("p", "key").await.expect("get"),
            Some(Secret::new("new"))
        );
    }

    #[test]
    fn account_joins_profile_and_field() {
        assert_eq!(account("p-1", "token"), "p-1/token");
    }
}
