//! kubectl cp's file specs and path rules (`staging/src/k8s.io/kubectl/pkg/cmd/cp/filespec.go` in
//! kubernetes/kubernetes), written again: `[[NAMESPACE/]POD:]PATH`, remote paths always with `/`,
//! trailing slashes stripped, and the prefix a download strips from the names `tar cf -` writes.

use super::TransferError;

/// One side of `cp SRC DST`: a local path, or a path in a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// The pod's namespace when given as `NS/POD:PATH`.
    pub namespace: Option<String>,
    /// The pod, for a remote side.
    pub pod: Option<String>,
    /// The path, trailing slash stripped (as kubectl does).
    pub path: String,
}

impl FileSpec {
    /// Parses one argument as kubectl's `extractFileSpec`: the first `:` splits pod from path.
    pub fn parse(arg: &str) -> Result<FileSpec, TransferError> {
        match arg.find(':') {
            Some(0) => Err(TransferError::SpecFormat),
            None => Ok(FileSpec {
                namespace: None,
                pod: None,
                path: strip_trailing_slash(arg).to_string(),
            }),
            Some(i) => {
                let (pod, file) = (&arg[..i], &arg[i + 1..]);
                let path = strip_trailing_slash(&file.replace('\\', "/")).to_string();
                let pieces: Vec<&str> = pod.split('/').collect();
                match pieces.as_slice() {
                    [pod] => Ok(FileSpec {
                        namespace: None,
                        pod: Some(pod.to_string()),
                        path,
                    }),
                    [ns, pod] => Ok(FileSpec {
                        namespace: Some(ns.to_string()),
                        pod: Some(pod.to_string()),
                        path,
                    }),
                    _ => Err(TransferError::SpecFormat),
                }
            }
        }
    }

    /// Whether this side is in a pod.
    pub fn is_remote(&self) -> bool {
        self.pod.as_deref().is_some_and(|p| !p.is_empty())
    }
}

fn strip_trailing_slash(p: &str) -> &str {
    if p.len() > 1 && p.ends_with('/') {
        &p[..p.len() - 1]
    } else {
        p
    }
}

/// Go's `path.Clean` for `/`-separated remote paths.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `path.Dir`.
pub fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => clean(&p[..=i]),
        None => ".".into(),
    }
}

/// Go's `path.Base`, trailing slashes stripped first.
pub fn base(p: &str) -> String {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return if p.is_empty() { ".".into() } else { "/".into() };
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Go's `path.Join` of two remote paths.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// kubectl's `stripPathShortcuts`: leading `../` removed, a lone `.` or `..` emptied, one
/// leading `/` removed.
fn strip_shortcuts(p: &str) -> String {
    let mut s = p;
    while let Some(rest) = s.strip_prefix("../") {
        s = rest;
    }
    if s == "." || s == ".." {
        s = "";
    }
    s.strip_prefix('/').unwrap_or(s).to_string()
}

/// The prefix every name in the pod's `tar cf - SRC` starts with (tar drops leading slashes):
/// what a download strips to place each entry under the destination.
pub fn download_prefix(src: &str) -> String {
    strip_shortcuts(&clean(src.trim_start_matches(['/', '\\'])))
}

/// `s` quoted for `sh -c`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_as_kubectls() {
        let s = FileSpec::parse("ns/pod:/tmp/x/").expect("valid");
        assert_eq!(
            (s.namespace.as_deref(), s.pod.as_deref(), s.path.as_str()),
            (Some("ns"), Some("pod"), "/tmp/x")
        );
        let s = FileSpec::parse("pod:a").expect("valid");
        assert_eq!((s.namespace, s.pod.as_deref()), (None, Some("pod")));
        let l = FileSpec::parse("./local/").expect("valid");
        assert!(!l.is_remote());
        assert_eq!(l.path, "./local");
        assert!(matches!(
            FileSpec::parse(":x"),
            Err(TransferError::SpecFormat)
        ));
        assert!(matches!(
            FileSpec::parse("a/b/c:x"),
            Err(TransferError::SpecFormat)
        ));
        assert_eq!(FileSpec::parse("pod:").expect("valid").path, "");
    }

    #[test]
    fn go_path_functions() {
        assert_eq!(clean("/a/../b/./c/"), "/b/c");
        assert_eq!(clean("../../x"), "../../x");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean(""), ".");
        assert_eq!(dir("/tmp/x"), "/tmp");
        assert_eq!(dir("x"), ".");
        assert_eq!(dir("/x"), "/");
        assert_eq!(base("/tmp/x/"), "x");
        assert_eq!(base("/"), "/");
        assert_eq!(join("/tmp", "f"), "/tmp/f");
    }

    #[test]
    fn the_download_prefix_is_what_tar_writes() {
        assert_eq!(download_prefix("/tmp/foo"), "tmp/foo");
        assert_eq!(download_prefix("/tmp/foo/"), "tmp/foo");
        assert_eq!(download_prefix("../../tmp/foo"), "tmp/foo");
        assert_eq!(download_prefix("/"), "");
        assert_eq!(download_prefix("."), "");
        assert_eq!(download_prefix("rel/x"), "rel/x");
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
