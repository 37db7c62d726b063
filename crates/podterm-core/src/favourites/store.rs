//! The favourites file: a [`VersionedFile`] in the config directory, in the user's order.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Favourite, FavouriteError, SPEC};
use crate::store::{self, Extra, VersionedFile};

/// The favourites file's document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FavouritesDoc {
    #[serde(default)]
    favourites: Vec<Favourite>,
    #[serde(flatten)]
    extra: Extra,
}

/// The favourites file of one config directory.
#[derive(Debug, Clone)]
pub struct FavouriteStore {
    file: VersionedFile<FavouritesDoc>,
}

impl FavouriteStore {
    /// The store in `dir` (created on first write; a missing file is an empty store).
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        FavouriteStore {
            file: VersionedFile::new(dir, SPEC),
        }
    }

    /// The store in the profiles' directory ([`crate::store::default_dir`]).
    pub fn open_default() -> Result<Self, FavouriteError> {
        Ok(Self::open(store::default_dir()?))
    }

    /// The config directory.
    pub fn dir(&self) -> &Path {
        self.file.dir()
    }

    /// The favourites file.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// All favourites, in the user's order.
    pub fn list(&self) -> Result<Vec<Favourite>, FavouriteError> {
        // Writers replace the file by rename, so a reader sees the old or the new file whole.
        self.read()
    }

    /// The favourite called `name`; [`FavouriteError::NotFound`] (listing the names there are)
    /// when there is none.
    pub fn get(&self, name: &str) -> Result<Favourite, FavouriteError> {
        let all = self.read()?;
        find(&all, name)
            .map(|i| all[i].clone())
            .ok_or_else(|| not_found(name, &all))
    }

    /// Adds `fav` at the end; [`FavouriteError::Duplicate`] when the name is taken.
    pub fn add(&self, fav: Favourite) -> Result<(), FavouriteError> {
        fav.check()?;
        self.update(|all| {
            if find(all, &fav.name).is_some() {
                return Err(FavouriteError::Duplicate(fav.name));
            }
            all.push(fav);
            Ok(())
        })
    }

    /// Replaces the favourite of the same name (its profile, target, container, command),
    /// keeping its place; returns the old one.
    pub fn replace(&self, fav: Favourite) -> Result<Favourite, FavouriteError> {
        fav.check()?;
        self.update(|all| match find(all, &fav.name) {
            Some(i) => Ok(std::mem::replace(&mut all[i], fav)),
            None => Err(not_found(&fav.name, all)),
        })
    }

    /// Renames `old` to `new`, keeping its place.
    pub fn rename(&self, old: &str, new: &str) -> Result<(), FavouriteError> {
        self.update(|all| {
            let i = find(all, old).ok_or_else(|| not_found(old, all))?;
            if old == new {
                return Ok(());
            }
            if find(all, new).is_some() {
                return Err(FavouriteError::Duplicate(new.to_string()));
            }
            all[i].name = new.to_string();
            all[i].check()
        })
    }

    /// A cluster renamed (its profile `old` is now `new`): its favourites follow it. Returns
    /// how many did.
    pub fn rename_profile(&self, old: &str, new: &str) -> Result<usize, FavouriteError> {
        if old == new {
            return Ok(0);
        }
        self.update(|all| {
            let mut n = 0;
            for f in all.iter_mut().filter(|f| f.profile == old) {
                f.profile = new.to_string();
                n += 1;
            }
            Ok(n)
        })
    }

    /// Removes the favourite called `name` and returns it.
    pub fn remove(&self, name: &str) -> Result<Favourite, FavouriteError> {
        self.update(|all| {
            let i = find(all, name).ok_or_else(|| not_found(name, all))?;
            Ok(all.remove(i))
        })
    }

    /// Moves `name` to position `index` (0 = first); an index past the end moves it last.
    pub fn move_to(&self, name: &str, index: usize) -> Result<(), FavouriteError> {
        self.update(|all| {
            let i = find(all, name).ok_or_else(|| not_found(name, all))?;
            let fav = all.remove(i);
            let at = index.min(all.len());
            all.insert(at, fav);
            Ok(())
        })
    }

    /// Puts the favourites in the order `names` gives, which must name each of them once
    /// (else [`FavouriteError::BadOrder`] says what is missing, unknown or repeated).
    pub fn set_order<S: AsRef<str>>(&self, names: &[S]) -> Result<(), FavouriteError> {
        self.update(|all| {
            let wanted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
            let mut problems = Vec::new();
            let missing: Vec<&str> = all
                .iter()
                .map(|f| f.name.as_str())
                .filter(|n| !wanted.contains(n))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("missing {}", missing.join(", ")));
            }
            let unknown: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|n| find(all, n).is_none())
                .collect();
            if !unknown.is_empty() {
                problems.push(format!("no favourite named {}", unknown.join(", ")));
            }
            let mut twice: Vec<&str> = wanted
                .iter()
                .enumerate()
                .filter(|(i, n)| wanted[..*i].contains(n))
                .map(|(_, n)| *n)
                .collect();
            twice.dedup();
            if !twice.is_empty() {
                problems.push(format!("named more than once: {}", twice.join(", ")));
            }
            if !problems.is_empty() {
                return Err(FavouriteError::BadOrder(problems.join("; ")));
            }
            let mut old = std::mem::take(all);
            for n in wanted {
                if let Some(i) = find(&old, n) {
                    all.push(old.remove(i));
                }
            }
            Ok(())
        })
    }

    /// Read-modify-write under the lock. The file is rewritten only when `f` succeeded and
    /// changed something; names stay unique.
    fn update<R>(
        &self,
        f: impl FnOnce(&mut Vec<Favourite>) -> Result<R, FavouriteError>,
    ) -> Result<R, FavouriteError> {
        self.file.update(|doc| {
            let before = doc.favourites.clone();
            let all = &mut doc.favourites;
            let out = f(all)?;
            if *all != before {
                for (i, fav) in all.iter().enumerate() {
                    fav.check()?;
                    if all[..i].iter().any(|other| other.name == fav.name) {
                        return Err(FavouriteError::Duplicate(fav.name.clone()));
                    }
                }
            }
            Ok(out)
        })
    }

    fn read(&self) -> Result<Vec<Favourite>, FavouriteError> {
        Ok(self.file.read()?.favourites)
    }
}

fn find(all: &[Favourite], name: &str) -> Option<usize> {
    all.iter().position(|f| f.name == name)
}

fn not_found(name: &str, all: &[Favourite]) -> FavouriteError {
    FavouriteError::NotFound {
        name: name.to_string(),
        known: all.iter().map(|f| f.name.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::favourites::Target;

    #[test]
    fn not_found_lists_the_names() {
        assert_eq!(
            not_found("x", &[]).to_string(),
            "no favourite named \"x\"; there are no favourites yet"
        );
        let all = vec![
            Favourite::new("a", "p", "ns", Target::Pod("p".into())),
            Favourite::new("b", "p", "ns", Target::Pod("p".into())),
        ];
        assert_eq!(
            not_found("x", &all).to_string(),
            "no favourite named \"x\"; the favourites are: a, b"
        );
    }
}
