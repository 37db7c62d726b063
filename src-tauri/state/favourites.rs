//! Favourites as the UI and the tray use them: a thin layer over podterm_core::favourites,
//! stored beside the profiles. A star on a pod saves its owning workload, so the favourite
//! follows rollouts; opening one resolves it to the newest Ready pod at that moment.

use super::Profiles;
use crate::error::{Error, Result};
use crate::ipc::{FavouriteSummary, ResolvedFavourite};
use podterm_core::favourites::{self, Favourite, FavouriteError, FavouriteStore};
use podterm_core::pods::PodError;

fn store(profiles: &Profiles) -> Result<FavouriteStore> {
    Ok(FavouriteStore::open(profiles.store()?.dir()))
}

/// The favourites themselves, in the user's order (the tray's menu).
pub fn all(profiles: &Profiles) -> Result<Vec<Favourite>> {
    Ok(store(profiles)?.list()?)
}

/// Every favourite as the sidebar lists it.
pub fn list(profiles: &Profiles) -> Result<Vec<FavouriteSummary>> {
    Ok(all(profiles)?.iter().map(FavouriteSummary::from).collect())
}

/// Favourites the workload that owns `pod` (the pod itself when it has none), named after it
/// (`web`, then `web (2)` ...). `container`: `None` for the pod's default.
pub async fn add(
    profiles: &Profiles,
    profile: &str,
    namespace: &str,
    pod: &str,
    container: Option<String>,
) -> Result<FavouriteSummary> {
    let c = profiles.cluster(profile).await?;
    let target = favourites::favourite_for_pod(&c.client, namespace, pod)
        .await
        .map_err(|e| Error::from_call(profile, e))?;
    let store = store(profiles)?;
    let taken: Vec<String> = store.list()?.into_iter().map(|f| f.name).collect();
    let name = unique_name(target.name(), &taken);
    let mut fav = Favourite::new(name, profile, namespace, target);
    fav.container = container.filter(|c| !c.is_empty());
    store.add(fav.clone())?;
    Ok(FavouriteSummary::from(&fav))
}

/// Favourites Service `service` (`svc/NAME`: a shell in a pod its selector finds, the newest
/// Ready one when connecting), named after it; refused when the Service is not there or selects
/// no pods (nothing could open).
pub async fn add_service(
    profiles: &Profiles,
    profile: &str,
    namespace: &str,
    service: &str,
) -> Result<FavouriteSummary> {
    use podterm_core::pods::WorkloadKind;
    let c = profiles.cluster(profile).await?;
    let namespace = c.namespace_or(namespace).to_string();
    let tuning = podterm_core::exec::Tuning::with(c.liveness);
    podterm_core::cluster::within(
        tuning.request_timeout,
        podterm_core::pods::workload_selector(
            &c.client,
            &namespace,
            WorkloadKind::Service,
            service,
        ),
    )
    .await
    .map_err(|e| Error::from_call(profile, e))?;
    let target = favourites::Target::Workload {
        kind: WorkloadKind::Service,
        name: service.to_string(),
    };
    let store = store(profiles)?;
    let taken: Vec<String> = store.list()?.into_iter().map(|f| f.name).collect();
    let fav = Favourite::new(
        unique_name(target.name(), &taken),
        profile,
        &namespace,
        target,
    );
    store.add(fav.clone())?;
    Ok(FavouriteSummary::from(&fav))
}

pub fn rename(profiles: &Profiles, name: &str, new_name: &str) -> Result<()> {
    Ok(store(profiles)?.rename(name, new_name.trim())?)
}

/// A cluster renamed: its favourites follow it.
pub fn rename_profile(profiles: &Profiles, old: &str, new: &str) -> Result<()> {
    store(profiles)?.rename_profile(old, new)?;
    Ok(())
}

pub fn delete(profiles: &Profiles, name: &str) -> Result<()> {
    store(profiles)?.remove(name)?;
    Ok(())
}

/// `names`: every favourite, once, in the new order.
pub fn reorder(profiles: &Profiles, names: &[String]) -> Result<()> {
    Ok(store(profiles)?.set_order(names)?)
}

/// The pod, container and command a favourite leads to now.
pub async fn resolve(profiles: &Profiles, name: &str) -> Result<ResolvedFavourite> {
    let fav = store(profiles)?.get(name)?;
    let c = profiles.cluster(&fav.profile).await?;
    let r = favourites::resolve(&c.client, &fav)
        .await
        .map_err(|mut e| {
            // A debug favourite's image has no shell: a copy running one would exit at once, so
            // none is offered (a debug tab on the pod is the way in).
            if fav.debug {
                if let FavouriteError::Pod(PodError::NoneReady { crashing, .. }) = &mut e {
                    *crashing = None;
                }
            }
            Error::from_call(&fav.profile, e)
        })?;
    Ok(ResolvedFavourite {
        name: fav.name.clone(),
        profile: fav.profile.clone(),
        namespace: r.namespace,
        pod: r.pod_name,
        container: r.container,
        command: (!fav.command.is_empty()).then(|| fav.command.clone()),
        debug: fav.debug,
        unready: r.unready,
    })
}

/// `base`, else `base (2)`, `base (3)` ... whichever is free.
pub fn unique_name(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base} ({n})"))
        .find(|c| !taken.iter().any(|t| t == c))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::unique_name;

    #[test]
    fn names_are_made_unique() {
        let taken = vec!["web".to_string(), "web (2)".to_string()];
        assert_eq!(unique_name("db", &taken), "db");
        assert_eq!(unique_name("web", &taken), "web (3)");
    }
}
