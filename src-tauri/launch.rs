//! What a launch asks for on its command line: `--connect NAME` (or `--connect=NAME`), or a
//! `podterm://connect/NAME` link (NAME percent-encoded) as the desktop entry passes it.

/// The URL scheme of Podterm's links.
pub const SCHEME: &str = "podterm";

/// The favourite names to connect to, in order, from a launch's arguments (the program name
/// first, as `std::env::args` gives it). Unknown arguments are ignored; malformed ones are
/// returned as errors to log.
pub fn connect_requests(args: &[String]) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut errors = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--connect" {
            match it.next() {
                Some(n) if !n.is_empty() => names.push(n.clone()),
                _ => errors.push("--connect needs a favourite's name".to_string()),
            }
        } else if let Some(n) = a.strip_prefix("--connect=") {
            if n.is_empty() {
                errors.push("--connect needs a favourite's name".to_string());
            } else {
                names.push(n.to_string());
            }
        } else if let Some(rest) = a.strip_prefix(&format!("{SCHEME}://")) {
            match parse_link(rest) {
                Ok(n) => names.push(n),
                Err(e) => errors.push(format!("{a}: {e}")),
            }
        }
    }
    (names, errors)
}

fn parse_link(rest: &str) -> Result<String, String> {
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let Some(name) = path.strip_prefix("connect/") else {
        return Err(format!(
            "not a link Podterm knows (expected {SCHEME}://connect/NAME)"
        ));
    };
    let name = percent_decode(name.trim_end_matches('/'))?;
    if name.is_empty() {
        return Err("the link names no favourite".into());
    }
    Ok(name)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a bad %-escape in the link".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the link's name is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::connect_requests;

    fn args(a: &[&str]) -> Vec<String> {
        std::iter::once("podterm-desktop")
            .chain(a.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn flags_and_links() {
        let (n, e) = connect_requests(&args(&[
            "--connect",
            "web",
            "--connect=db (2)",
            "podterm://connect/my%20shell/",
            "--other",
        ]));
        assert_eq!(n, vec!["web", "db (2)", "my shell"]);
        assert!(e.is_empty(), "{e:?}");
        let (n, e) = connect_requests(&args(&["--connect"]));
        assert!(n.is_empty());
        assert_eq!(e, vec!["--connect needs a favourite's name"]);
        let (n, e) = connect_requests(&args(&["podterm://open/x", "podterm://connect/%zz"]));
        assert!(n.is_empty());
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("expected podterm://connect/NAME"), "{e:?}");
        assert!(connect_requests(&args(&[])).0.is_empty());
    }
}
