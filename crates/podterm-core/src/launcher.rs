//! Quick-connect without a tray: the desktop entry's actions (a launcher's right-click menu on
//! GNOME, KDE, …), one per favourite, each `podterm-desktop --connect NAME`. The entry is written
//! to the user's applications folder (`$XDG_DATA_HOME/applications`, else
//! `~/.local/share/applications`) under the installed entry's name, which it overrides there, and
//! rewritten when the favourites change. A file of that name that Podterm did not write is left
//! alone.

use crate::favourites::Favourite;
use std::path::{Path, PathBuf};

/// The installed entry's file name (the Debian package's `/usr/share/applications/Podterm.desktop`).
pub const FILE_NAME: &str = "Podterm.desktop";

/// The key that marks an entry as Podterm's own (rewritten or removed freely).
pub const MARKER: &str = "X-Podterm-Generated=true";

/// Why the launcher entry could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error("no applications folder: neither XDG_DATA_HOME nor HOME is set")]
    NoFolder,
    #[error("{path} was not written by Podterm; its launcher actions are not added (move it away to get them)")]
    NotOurs { path: PathBuf },
    #[error("cannot write the launcher entry {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What [`update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Updated {
    /// Written with this many actions.
    Written { path: PathBuf, actions: usize },
    /// No favourites: Podterm's entry removed (or there was none).
    Removed { path: PathBuf },
}

/// The user's applications folder from `XDG_DATA_HOME` or `HOME`.
pub fn applications_dir(
    xdg_data_home: Option<&std::ffi::OsStr>,
    home: Option<&std::ffi::OsStr>,
) -> Option<PathBuf> {
    // The spec: a relative XDG_DATA_HOME is invalid and ignored.
    match xdg_data_home.map(PathBuf::from) {
        Some(d) if d.is_absolute() => Some(d.join("applications")),
        _ => home
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())
            .map(|h| h.join(".local/share/applications")),
    }
}

/// The desktop entry: the installed one's keys with `Exec` at `exec`, and one action per
/// favourite (in the user's order).
pub fn entry(exec: &Path, favourites: &[Favourite]) -> String {
    let program = exec_arg(&exec.to_string_lossy());
    let mut s = String::from("[Desktop Entry]\n");
    s.push_str("Type=Application\nName=Podterm\nGenericName=Kubernetes pod shell\n");
    s.push_str("Comment=A shell in any Kubernetes pod, in a terminal tab\n");
    s.push_str(&format!("Exec={program} %u\n"));
    s.push_str("Icon=podterm-desktop\nStartupWMClass=podterm-desktop\nCategories=Development;\n");
    s.push_str("Keywords=kubernetes;kubectl;exec;pod;shell;terminal;\nTerminal=false\n");
    s.push_str("MimeType=x-scheme-handler/podterm;\n");
    if !favourites.is_empty() {
        let ids: Vec<String> = (0..favourites.len()).map(action_id).collect();
        s.push_str(&format!("Actions={};\n", ids.join(";")));
    }
    s.push_str(MARKER);
    s.push('\n');
    for (i, f) in favourites.iter().enumerate() {
        s.push_str(&format!("\n[Desktop Action {}]\n", action_id(i)));
        let label = format!("{}  ({}/{}, {})", f.name, f.namespace, f.target, f.profile);
        s.push_str(&format!("Name={}\n", string_value(&label)));
        s.push_str(&format!("Exec={program} --connect {}\n", exec_arg(&f.name)));
    }
    s
}

/// Writes (or, with no favourites, removes) Podterm's entry in `dir`.
pub fn update(dir: &Path, exec: &Path, favourites: &[Favourite]) -> Result<Updated, LauncherError> {
    let path = dir.join(FILE_NAME);
    let io = |source| LauncherError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(old) if !old.lines().any(|l| l.trim() == MARKER) => {
            return Err(LauncherError::NotOurs { path });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        // Unreadable (not UTF-8, no permission): not knowably ours either.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(LauncherError::NotOurs { path });
        }
        Err(e) => return Err(io(e)),
    }
    if favourites.is_empty() {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        return Ok(Updated::Removed { path });
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    // Whole or not at all: a launcher reading it meanwhile sees the old entry or the new one.
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, entry(exec, favourites)).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })?;
    Ok(Updated::Written {
        path,
        actions: favourites.len(),
    })
}

fn action_id(i: usize) -> String {
    format!("connect-{i}")
}

/// A `string` value: one line, backslashes escaped, control characters as spaces.
fn string_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    if out.starts_with(' ') {
        out.replace_range(..1, "\\s");
    }
    out
}

/// One argument of an `Exec` value: quoted when it holds a reserved character (the spec's
/// quoting: `"`, `` ` ``, `$` and `\` escaped inside the quotes), `%` doubled, then escaped as a
/// string value (so each backslash is written twice).
fn exec_arg(raw: &str) -> String {
    const RESERVED: &str = " \t\n\"'\\><~|&;$*?#()`";
    let flat: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let arg = if flat.is_empty() || flat.chars().any(|c| RESERVED.contains(c)) {
        let mut q = String::from("\"");
        for c in flat.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        flat
    };
    arg.replace('%', "%%").replace('\\', "\\\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::favourites::Target;

    fn fav(name: &str) -> Favourite {
        Favourite::new(name, "prod", "demo", Target::Pod("shell".into()))
    }

    #[test]
    fn one_action_per_favourite_with_its_connect_line() {
        let e = entry(
            Path::new("/usr/bin/podterm-desktop"),
            &[fav("web"), fav("db")],
        );
        assert!(e.contains("\nActions=connect-0;connect-1;\n"), "{e}");
        assert!(e.contains("\nExec=/usr/bin/podterm-desktop %u\n"), "{e}");
        assert!(
            e.contains("[Desktop Action connect-1]\nName=db  (demo/pod/shell, prod)\nExec=/usr/bin/podterm-desktop --connect db\n"),
            "{e}"
        );
        assert!(e.contains(MARKER));
        let none = entry(Path::new("/usr/bin/podterm-desktop"), &[]);
        assert!(!none.contains("Actions="), "{none}");
    }

    #[test]
    fn names_and_paths_are_quoted_as_the_spec_says() {
        // A space: quoted. A quote and a dollar: escaped in the quotes, then the backslash
        // itself escaped as a string value. A percent: doubled.
        assert_eq!(exec_arg("my fav"), "\"my fav\"");
        assert_eq!(exec_arg("a\"b"), "\"a\\\\\"b\"");
        assert_eq!(exec_arg("$HOME"), "\"\\\\$HOME\"");
        assert_eq!(exec_arg("100%"), "100%%");
        assert_eq!(exec_arg("line\nbreak"), "\"line break\"");
        assert_eq!(string_value("a\\b\nc"), "a\\\\b c");
        assert_eq!(string_value(" lead"), "\\slead");
        let e = entry(Path::new("/opt/Pod Term/podterm-desktop"), &[fav("my fav")]);
        assert!(
            e.contains("Exec=\"/opt/Pod Term/podterm-desktop\" --connect \"my fav\"\n"),
            "{e}"
        );
    }

    #[test]
    fn written_rewritten_removed_and_a_foreign_file_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let apps = dir.path().join("applications");
        let exe = Path::new("/usr/bin/podterm-desktop");
        let got = update(&apps, exe, &[fav("web")]).expect("written");
        let path = apps.join(FILE_NAME);
        assert_eq!(
            got,
            Updated::Written {
                path: path.clone(),
                actions: 1
            }
        );
        update(&apps, exe, &[fav("web"), fav("db")]).expect("rewritten");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("--connect db"), "{text}");
        assert_eq!(
            update(&apps, exe, &[]).expect("removed"),
            Updated::Removed { path: path.clone() }
        );
        assert!(!path.exists());
        // The user's own entry of that name stays as it is.
        std::fs::write(&path, "[Desktop Entry]\nName=Mine\n").expect("write");
        let e = update(&apps, exe, &[fav("web")]).expect_err("not ours");
        assert!(matches!(e, LauncherError::NotOurs { .. }), "{e:?}");
        assert!(e.to_string().contains("move it away"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "[Desktop Entry]\nName=Mine\n"
        );
    }

    #[test]
    fn the_applications_folder_from_the_environment() {
        use std::ffi::OsStr;
        let d = |x: Option<&str>, h: Option<&str>| {
            applications_dir(x.map(OsStr::new), h.map(OsStr::new))
        };
        assert_eq!(
            d(Some("/x"), Some("/h")),
            Some(PathBuf::from("/x/applications"))
        );
        assert_eq!(
            d(Some("rel"), Some("/h")),
            Some(PathBuf::from("/h/.local/share/applications"))
        );
        assert_eq!(
            d(None, Some("/h")),
            Some(PathBuf::from("/h/.local/share/applications"))
        );
        assert_eq!(d(None, None), None);
    }
}
