//! Local files for the copy suites: a file of random bytes, and a file's sha256 as
//! `sha256sum` prints it (the tool a user would check a copy with).

use std::path::Path;

/// Writes `mib` MiB of random bytes to `p` (`head -c … /dev/urandom`).
pub fn random_file(p: &Path, mib: usize) {
    let status = std::process::Command::new("head")
        .args(["-c", &format!("{}", mib << 20), "/dev/urandom"])
        .stdout(std::fs::File::create(p).expect("create the file"))
        .status()
        .expect("head runs");
    assert!(
        status.success(),
        "head -c {mib}M /dev/urandom > {}",
        p.display()
    );
}

/// The sha256 of `p`, in hex, from `sha256sum`.
pub fn sha256(p: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(p)
        .output()
        .expect("sha256sum runs");
    assert!(out.status.success(), "sha256sum {}", p.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
