//! Favourites as the UI and the tray use them: a thin layer over podterm_core::favourites,
//! stored beside the profiles. A star on a pod saves its owning workload, so the favourite
//! follows rollouts; opening one resolves it to the newest Ready pod at that moment.

use crate::app::App;
use crate::ipc::{FavouriteSummary, ResolvedFavourite};
use podterm_core::favourites::{self, Favourite, FavouriteStore};

impl App {
    fn favourites(&self) -> Result<FavouriteStore, String> {
        Ok(FavouriteStore::open(self.store()?.dir()))
    }

    /// Every favourite, in the user's order.
    pub fn list_favourites(&self) -> Result<Vec<FavouriteSummary>, String> {
        let list = self.favourites()?.list().map_err(|e| e.to_string())?;
        Ok(list.iter().map(FavouriteSummary::from).collect())
    }

    /// The favourites themselves (for the tray's menu).
    pub fn favourite_list(&self) -> Result<Vec<Favourite>, String> {
        self.favourites()?.list().map_err(|e| e.to_string())
    }

    /// Favourites the workload that owns `pod` (the pod itself when it has none), named after
    /// it (`web`, then `web (2)` ...). `container`: `None` for the pod's default.
    pub async fn add_favourite(
        &self,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: Option<String>,
    ) -> Result<FavouriteSummary, String> {
        let c = self.cluster(profile).await?;
        let target = favourites::favourite_for_pod(&c.client, namespace, pod)
            .await
            .map_err(|e| e.to_string())?;
        let store = self.favourites()?;
        let taken: Vec<String> = store
            .list()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| f.name)
            .collect();
        let name = unique_name(target.name(), &taken);
        let mut fav = Favourite::new(name, profile, namespace, target);
        fav.container = container.filter(|c| !c.is_empty());
        store.add(fav.clone()).map_err(|e| e.to_string())?;
        Ok(FavouriteSummary::from(&fav))
    }

    pub fn rename_favourite(&self, name: &str, new_name: &str) -> Result<(), String> {
        self.favourites()?
            .rename(name, new_name.trim())
            .map_err(|e| e.to_string())
    }

    pub fn delete_favourite(&self, name: &str) -> Result<(), String> {
        self.favourites()?
            .remove(name)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// `names`: every favourite, once, in the new order.
    pub fn reorder_favourites(&self, names: &[String]) -> Result<(), String> {
        self.favourites()?
            .set_order(names)
            .map_err(|e| e.to_string())
    }

    /// The pod, container and command a favourite leads to now.
    pub async fn resolve_favourite(&self, name: &str) -> Result<ResolvedFavourite, String> {
        let fav = self.favourites()?.get(name).map_err(|e| e.to_string())?;
        let c = self.cluster(&fav.profile).await?;
        let r = favourites::resolve(&c.client, &fav)
            .await
            .map_err(|e| crate::app::explain(&fav.profile, e.to_string()))?;
        Ok(ResolvedFavourite {
            name: fav.name.clone(),
            profile: fav.profile.clone(),
            namespace: r.namespace,
            pod: r.pod_name,
            container: r.container,
            command: (!fav.command.is_empty()).then(|| fav.command.clone()),
        })
    }
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
