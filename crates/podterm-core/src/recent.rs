//! The last sessions opened in this run, newest first, for quick-connect outside the window (the
//! tray's "Recent" section): at most [`MAX_RECENT`], each place once, with a short label.

use crate::text;

/// How many recent sessions are kept (and listed in the tray).
pub const MAX_RECENT: usize = 5;

/// Longest label, in characters, before it is cut (a menu line, not a page).
const LABEL_CHARS: usize = 80;

/// Where a session was opened: enough to open it again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RecentSession {
    pub profile: String,
    pub namespace: String,
    pub pod: String,
    /// Empty: the pod's default container.
    pub container: String,
    /// `None`: the shell.
    pub command: Option<Vec<String>>,
}

impl RecentSession {
    /// One menu line: `namespace/pod · container · profile` (and the command when it is not a
    /// shell), outside text escaped and cut.
    pub fn label(&self) -> String {
        let mut s = format!("{}/{}", self.namespace, self.pod);
        if !self.container.is_empty() {
            s.push_str(&format!(" · {}", self.container));
        }
        if let Some(c) = &self.command {
            s.push_str(&format!(" · {}", c.join(" ")));
        }
        s.push_str(&format!("  ({})", self.profile));
        one_line(&s)
    }
}

/// The recent sessions, newest first, each with a key of its own: a menu item names its
/// session by key, not by place in the list, so a menu built before the list changed (the tray
/// rebuilds its menu as sessions open) opens what it shows, or nothing.
#[derive(Debug, Default, Clone)]
pub struct Recent {
    list: Vec<(u64, RecentSession)>,
    /// The key the next new place gets.
    next: u64,
}

impl Recent {
    /// A session was opened: it goes first; the same place opened before moves up (keeping its
    /// key) rather than showing twice; the oldest beyond [`MAX_RECENT`] is dropped.
    pub fn push(&mut self, s: RecentSession) {
        let key = match self.list.iter().position(|(_, x)| x == &s) {
            Some(i) => self.list.remove(i).0,
            None => {
                self.next += 1;
                self.next
            }
        };
        self.list.insert(0, (key, s));
        self.list.truncate(MAX_RECENT);
    }

    /// Newest first, each with its key.
    pub fn list(&self) -> &[(u64, RecentSession)] {
        &self.list
    }

    /// The session listed under `key`, while it is.
    pub fn get(&self, key: u64) -> Option<&RecentSession> {
        self.list.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }
}

/// `raw` as one menu line: control characters escaped, line breaks as spaces, at most
/// [`LABEL_CHARS`] characters and "…".
fn one_line(raw: &str) -> String {
    let flat: String = raw
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    let shown = text::escaped(&flat);
    match shown.char_indices().nth(LABEL_CHARS) {
        Some((i, _)) => format!("{}…", &shown[..i]),
        None => shown,
    }
}

/// The menu line counting the sessions open now.
pub fn live_label(sessions: usize) -> String {
    match sessions {
        0 => "No live sessions".into(),
        1 => "1 live session".into(),
        n => format!("{n} live sessions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(pod: &str) -> RecentSession {
        RecentSession {
            profile: "p".into(),
            namespace: "demo".into(),
            pod: pod.into(),
            container: String::new(),
            command: None,
        }
    }

    #[test]
    fn newest_first_each_place_once_at_most_five() {
        let mut r = Recent::default();
        for p in ["a", "b", "c", "a", "d", "e", "f", "g"] {
            r.push(s(p));
        }
        let pods: Vec<&str> = r.list().iter().map(|(_, x)| x.pod.as_str()).collect();
        assert_eq!(pods, ["g", "f", "e", "d", "a"]);
        let key = |r: &Recent, pod: &str| {
            r.list()
                .iter()
                .find(|(_, x)| x.pod == pod && x.container.is_empty())
                .map(|(k, _)| *k)
        };
        let (g, a) = (key(&r, "g"), key(&r, "a"));
        // Another container or command is another place.
        r.push(RecentSession {
            container: "side".into(),
            ..s("g")
        });
        assert_eq!(r.list().len(), MAX_RECENT);
        assert_eq!(r.list()[0].1.container, "side");
        assert_eq!(r.list()[1].1.pod, "g");
        // A key names its place wherever the place moves, and nothing once it is dropped (a
        // menu built before: its item opens what it showed, or nothing).
        assert_eq!(key(&r, "g"), g);
        assert_eq!(g.and_then(|k| r.get(k)).map(|x| x.pod.as_str()), Some("g"));
        assert_eq!(key(&r, "a"), None);
        assert!(a.and_then(|k| r.get(k)).is_none(), "a dropped place opened");
        r.push(s("d"));
        assert_eq!(r.list()[0].1.pod, "d");
        let keys: std::collections::HashSet<u64> = r.list().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), MAX_RECENT, "keys are each a place's own");
    }

    #[test]
    fn labels_are_one_escaped_line_cut_short() {
        let mut x = s("web-1");
        assert_eq!(x.label(), "demo/web-1  (p)");
        x.container = "main".into();
        x.command = Some(vec!["bash".into(), "-l".into()]);
        assert_eq!(x.label(), "demo/web-1 · main · bash -l  (p)");
        x.pod = format!("evil\n\u{1b}[31m{}", "x".repeat(500));
        let l = x.label();
        assert!(!l.contains('\n') && !l.contains('\u{1b}'), "{l:?}");
        assert!(
            l.chars().count() <= LABEL_CHARS + 1,
            "{} chars",
            l.chars().count()
        );
    }

    #[test]
    fn the_live_count_in_words() {
        assert_eq!(live_label(0), "No live sessions");
        assert_eq!(live_label(1), "1 live session");
        assert_eq!(live_label(3), "3 live sessions");
    }
}
