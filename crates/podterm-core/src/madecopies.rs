//! The pods' copies Podterm made for its tabs and has not deleted yet: `copies.json` beside the
//! profiles, a [`VersionedFile`] (atomic writes under `copies.lock`, a newer or unreadable file
//! never written over, unknown fields kept).
//!
//! A copy is listed before it is made and taken off once it is deleted or found gone, so a run
//! that ended without deleting its copies (killed, or its cluster unreachable at the exit) leaves
//! them listed: the next run offers to delete them ([`podcopy::delete_shell_copy`], which
//! deletes only a pod that is still our copy of that original). Names only, never a secret.
//!
//! [`podcopy::delete_shell_copy`]: crate::podcopy::delete_shell_copy

use crate::store::{Extra, FileSpec, StoreError, VersionedFile};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this Podterm writes.
pub const FORMAT_VERSION: u32 = 1;
/// The file's name inside the config directory.
pub const FILE_NAME: &str = "copies.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "copies.lock";
/// The copies file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "pod copies",
    fresh: "forget the pod copies it lists",
};
/// The most copies listed: past it the oldest entry goes (a runaway loop must not grow the
/// file; a person has a few copy tabs at a time).
pub const MAX_COPIES: usize = 100;

/// One copy of a pod, as its tab asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MadeCopy {
    /// The profile (cluster) it was made in.
    pub profile: String,
    /// Where it is (the profile's namespace resolved when the tab asked for none).
    pub namespace: String,
    /// The copy's name.
    pub name: String,
    /// The original pod's name (the copy's mark, checked before deleting).
    pub of: String,
}

/// The copies listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MadeCopies {
    pub copies: Vec<MadeCopy>,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    pub extra: Extra,
}

fn file(dir: &Path) -> VersionedFile<MadeCopies> {
    VersionedFile::new(dir, SPEC)
}

/// The copies `dir/copies.json` lists; none when there is no file.
pub fn load(dir: &Path) -> Result<Vec<MadeCopy>, StoreError> {
    Ok(file(dir).read()?.copies)
}

/// Lists `copy` (once; past [`MAX_COPIES`] the oldest goes). A file that cannot be read is an
/// error and stays as it is.
pub fn add(dir: &Path, copy: &MadeCopy) -> Result<(), StoreError> {
    file(dir).update(|doc| {
        if !doc.copies.contains(copy) {
            doc.copies.push(copy.clone());
            let over = doc.copies.len().saturating_sub(MAX_COPIES);
            doc.copies.drain(..over);
        }
        Ok::<(), StoreError>(())
    })
}

/// Takes `copy` off the list (nothing when it is not listed).
pub fn remove(dir: &Path, copy: &MadeCopy) -> Result<(), StoreError> {
    file(dir).update(|doc| {
        doc.copies.retain(|c| c != copy);
        Ok::<(), StoreError>(())
    })
}

/// Takes every copy of `copies` off the list in one write.
pub fn remove_all(dir: &Path, copies: &[MadeCopy]) -> Result<(), StoreError> {
    file(dir).update(|doc| {
        doc.copies.retain(|c| !copies.contains(c));
        Ok::<(), StoreError>(())
    })
}

/// A cluster renamed (`old` is now `new`): the copies made in it are listed under the new name,
/// so they are deleted (and offered) through it.
pub fn rename_profile(dir: &Path, old: &str, new: &str) -> Result<(), StoreError> {
    file(dir).update(|doc| {
        for c in doc.copies.iter_mut().filter(|c| c.profile == old) {
            c.profile = new.to_string();
        }
        Ok::<(), StoreError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(name: &str) -> MadeCopy {
        MadeCopy {
            profile: "ops".into(),
            namespace: "demo".into(),
            name: name.into(),
            of: "crashy".into(),
        }
    }

    #[test]
    fn a_renamed_cluster_s_copies_follow_it() {
        let dir = tempfile::tempdir().expect("dir");
        add(dir.path(), &copy("crashy-debug-aaaaa")).expect("add");
        let other = MadeCopy {
            profile: "dev".into(),
            ..copy("crashy-debug-bbbbb")
        };
        add(dir.path(), &other).expect("add");
        rename_profile(dir.path(), "ops", "operations").expect("rename");
        assert_eq!(
            load(dir.path()).expect("load"),
            vec![
                MadeCopy {
                    profile: "operations".into(),
                    ..copy("crashy-debug-aaaaa")
                },
                other
            ]
        );
    }

    #[test]
    fn copies_are_listed_once_and_taken_off() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path()).expect("no file"), vec![]);
        add(dir.path(), &copy("crashy-debug-aaaaa")).expect("add");
        add(dir.path(), &copy("crashy-debug-bbbbb")).expect("add");
        add(dir.path(), &copy("crashy-debug-aaaaa")).expect("again");
        assert_eq!(
            load(dir.path()).expect("load"),
            vec![copy("crashy-debug-aaaaa"), copy("crashy-debug-bbbbb")]
        );
        remove(dir.path(), &copy("crashy-debug-aaaaa")).expect("remove");
        remove(dir.path(), &copy("not-listed")).expect("remove none");
        add(dir.path(), &copy("crashy-debug-ccccc")).expect("add");
        add(dir.path(), &copy("crashy-debug-ddddd")).expect("add");
        remove_all(
            dir.path(),
            &[copy("crashy-debug-ccccc"), copy("crashy-debug-ddddd")],
        )
        .expect("remove all");
        assert_eq!(
            load(dir.path()).expect("load"),
            vec![copy("crashy-debug-bbbbb")]
        );
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["version"], 1);
        assert_eq!(json["copies"][0]["of"], "crashy");
    }

    #[test]
    fn the_list_is_bounded_the_oldest_going_first() {
        let dir = tempfile::tempdir().expect("dir");
        for i in 0..MAX_COPIES + 3 {
            add(dir.path(), &copy(&format!("c{i}"))).expect("add");
        }
        let listed = load(dir.path()).expect("load");
        assert_eq!(listed.len(), MAX_COPIES);
        assert_eq!(listed[0].name, "c3");
        assert_eq!(listed[MAX_COPIES - 1].name, format!("c{}", MAX_COPIES + 2));
    }

    #[test]
    fn a_newer_or_broken_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, r#"{"version": 9, "copies": []}"#).expect("write");
        let e = add(dir.path(), &copy("x")).expect_err("newer");
        assert!(
            matches!(e, StoreError::NewerVersion { found: 9, .. }),
            "{e}"
        );
        std::fs::write(&path, "not json").expect("write");
        assert!(matches!(load(dir.path()), Err(StoreError::Invalid { .. })));
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "not json");
    }

    #[test]
    fn fields_of_a_newer_podterm_survive_a_rewrite() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, r#"{"version": 1, "copies": [], "later": true}"#).expect("write");
        add(dir.path(), &copy("x")).expect("add");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_eq!(json["later"], true);
        assert_eq!(json["copies"][0]["name"], "x");
    }
}
