//! Favourites: list, star a pod or a Service, rename, delete, reorder, resolve. Every change rebuilds the
//! tray's menu and the launcher's actions.

use super::Ctx;
use crate::desktop;
use crate::error::Result;
use crate::ipc::{FavouriteSummary, ResolvedFavourite};
use crate::state::favourites;

pub fn list_favourites(ctx: &Ctx<'_>) -> Result<Vec<FavouriteSummary>> {
    favourites::list(&ctx.profiles)
}

pub async fn add_favourite(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    pod: String,
    container: Option<String>,
) -> Result<FavouriteSummary> {
    let f = favourites::add(&ctx.profiles, &profile, &namespace, &pod, container).await?;
    desktop::favourites_changed(ctx.handle);
    Ok(f)
}

pub async fn add_service_favourite(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    service: String,
) -> Result<FavouriteSummary> {
    let f = favourites::add_service(&ctx.profiles, &profile, &namespace, &service).await?;
    desktop::favourites_changed(ctx.handle);
    Ok(f)
}

pub fn rename_favourite(ctx: &Ctx<'_>, name: String, new_name: String) -> Result<()> {
    favourites::rename(&ctx.profiles, &name, &new_name)?;
    desktop::favourites_changed(ctx.handle);
    Ok(())
}

pub fn delete_favourite(ctx: &Ctx<'_>, name: String) -> Result<()> {
    favourites::delete(&ctx.profiles, &name)?;
    desktop::favourites_changed(ctx.handle);
    Ok(())
}

pub fn reorder_favourites(ctx: &Ctx<'_>, names: Vec<String>) -> Result<()> {
    favourites::reorder(&ctx.profiles, &names)?;
    desktop::favourites_changed(ctx.handle);
    Ok(())
}

pub async fn resolve_favourite(ctx: &Ctx<'_>, name: String) -> Result<ResolvedFavourite> {
    favourites::resolve(&ctx.profiles, &name).await
}
