//! Links in a terminal (Ctrl+click) open in the user's browser. Only http and https: a
//! terminal's output is whatever a pod printed, and `file:`, `javascript:` or a custom scheme
//! could start local programs.

/// The URL to hand to the browser, or why it is refused.
pub fn checked(url: &str) -> Result<&str, String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    if !scheme_ok {
        return Err(format!(
            "not opened: only http and https links open from a terminal ({u:.80})"
        ));
    }
    if u.len() > 8192 || u.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("not opened: the link has spaces or control characters in it".into());
    }
    if u.len() <= lower.find("://").map_or(0, |i| i + 3) {
        return Err("not opened: the link names no host".into());
    }
    Ok(u)
}

/// Opens `url` in the default browser (xdg-open on Linux), without waiting for it.
pub fn open(url: &str) -> Result<(), crate::error::Error> {
    use crate::error::Error;
    let u = checked(url).map_err(Error::Link)?;
    open::that_detached(u)
        .map_err(|e| Error::Browser(format!("could not start the browser for {u}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn only_web_links_open() {
        assert_eq!(
            checked("https://kubernetes.io/docs/"),
            Ok("https://kubernetes.io/docs/")
        );
        assert_eq!(checked(" HTTP://x.test/a?b=c "), Ok("HTTP://x.test/a?b=c"));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "vscode://x",
            "https://",
            "https://a b",
            "https://a\u{7}",
            "",
        ] {
            assert!(checked(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
