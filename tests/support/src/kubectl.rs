//! The kubectl binaries under test: `PODTERM_KUBECTLS` (colon-separated), else
//! `/usr/bin/kubectl` and the repository's pinned `.venv/bin/kubectl` where present. Each binary
//! once, by resolved path and by client version (as `scripts/kubectls.sh` lists them).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One kubectl binary and its client version.
#[derive(Debug, Clone)]
pub struct Kubectl {
    pub path: PathBuf,
    /// `kubectl version --client`'s gitVersion, e.g. `v1.33.4`.
    pub version: String,
}

impl Kubectl {
    /// (major, minor, patch) of the version; zeros where it does not parse.
    pub fn version_key(&self) -> (u32, u32, u32) {
        let core = self.version.trim_start_matches('v');
        let core = core.split(['-', '+']).next().unwrap_or("");
        let mut parts = core.split('.').map(|p| p.parse().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }
}

/// Why a candidate was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Missing,
    /// `kubectl version --client` failed or printed no version.
    NoVersion,
    SameBinary,
    SameVersion(String),
}

/// A candidate left out, and why.
#[derive(Debug, Clone)]
pub struct Note {
    pub path: PathBuf,
    pub skip: Skip,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.skip {
            Skip::Missing => write!(f, "{p}: not present"),
            Skip::NoVersion => write!(f, "{p}: 'kubectl version --client' failed"),
            Skip::SameBinary => write!(f, "{p}: same binary as an earlier one"),
            Skip::SameVersion(v) => write!(f, "{p}: version {v} already listed"),
        }
    }
}

/// The kubectls found, and the candidates left out.
#[derive(Debug, Clone)]
pub struct Found {
    pub kubectls: Vec<Kubectl>,
    pub notes: Vec<Note>,
    /// Whether the candidates came from `PODTERM_KUBECTLS`.
    pub from_env: bool,
}

/// `kubectl version --client`'s gitVersion.
fn client_version(path: &Path) -> Option<String> {
    let out = std::process::Command::new(path)
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["clientVersion"]["gitVersion"]
        .as_str()
        .map(str::to_string)
}

/// Looks for kubectls, `repo` being the repository (for `.venv/bin/kubectl`).
pub fn find(repo: &Path) -> Found {
    let (candidates, from_env): (Vec<PathBuf>, bool) = match std::env::var("PODTERM_KUBECTLS") {
        Ok(v) if !v.trim().is_empty() => (
            v.split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect(),
            true,
        ),
        _ => (
            vec![
                PathBuf::from("/usr/bin/kubectl"),
                repo.join(".venv/bin/kubectl"),
            ],
            false,
        ),
    };
    let mut found = Found {
        kubectls: Vec::new(),
        notes: Vec::new(),
        from_env,
    };
    let mut seen_paths = Vec::new();
    for path in candidates {
        let skip = |skip| Note {
            path: path.clone(),
            skip,
        };
        if !path.is_file() {
            found.notes.push(skip(Skip::Missing));
            continue;
        }
        let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen_paths.contains(&resolved) {
            found.notes.push(skip(Skip::SameBinary));
            continue;
        }
        let Some(version) = client_version(&path) else {
            found.notes.push(skip(Skip::NoVersion));
            continue;
        };
        if found.kubectls.iter().any(|k| k.version == version) {
            found.notes.push(skip(Skip::SameVersion(version)));
            continue;
        }
        seen_paths.push(resolved);
        found.kubectls.push(Kubectl { path, version });
    }
    found
}

/// The kubectls under test (looked up once per test binary). None at all is a failure, not a
/// skip; so is a `PODTERM_KUBECTLS` entry that is missing or does not run.
pub fn all() -> &'static [Kubectl] {
    static FOUND: OnceLock<Vec<Kubectl>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let found = find(&crate::repo_root());
        if found.from_env {
            for n in &found.notes {
                assert!(
                    matches!(n.skip, Skip::SameBinary | Skip::SameVersion(_)),
                    "PODTERM_KUBECTLS: {n}"
                );
            }
        }
        assert!(
            !found.kubectls.is_empty(),
            "no kubectl found: run `make deps` (installs a pinned kubectl into .venv) or set PODTERM_KUBECTLS"
        );
        found.kubectls
    })
}

/// The paths of the kubectls under test.
pub fn kubectls() -> Vec<PathBuf> {
    all().iter().map(|k| k.path.clone()).collect()
}

/// The kubectl under test with the highest client version.
pub fn newest() -> PathBuf {
    all()
        .iter()
        .max_by_key(|k| k.version_key())
        .map(|k| k.path.clone())
        .expect("a kubectl")
}

/// `stderr` without kubectl's own log lines (klog: `E0101 …`, `W…`, `I…`), which are not part of
/// the contract the parity suites compare.
pub fn clean_stderr(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            let b = l.as_bytes();
            !(b.len() > 5
                && matches!(b[0], b'E' | b'W' | b'I')
                && b[1..5].iter().all(u8::is_ascii_digit))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        let k = |v: &str| Kubectl {
            path: PathBuf::new(),
            version: v.into(),
        };
        assert_eq!(k("v1.33.4").version_key(), (1, 33, 4));
        assert_eq!(k("v1.9.0+k3s1").version_key(), (1, 9, 0));
        assert!(k("v1.33.0").version_key() > k("v1.9.12").version_key());
    }
}
