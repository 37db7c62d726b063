//! Lists in pages, as the API server serves `limit` and `continue`: items in the order of
//! namespace and name, at most `limit` of them, and a token for the rest. Every page of one list
//! reports the resource version of its first page (the API server's pages are one snapshot), so
//! a client that watches from it after the last page is replayed whatever changed meanwhile.
//! Here the items of a later page are read when it is asked for, not from the snapshot: an item
//! changed between two pages is then seen twice (in its page and in the watch), as a client
//! must take anyway.

use crate::api::{status_response, Body};
use hyper::Response;

/// Where one page of a list stands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Page {
    /// The resource version to report for this page: the first page's.
    pub rv: u64,
    /// The token for the next page, when items are left.
    pub next: Option<String>,
}

/// Why a `continue` token is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PageError {
    /// Not a token this server gave (400 BadRequest).
    NotValid(String),
    /// Given by this server, for a resource version whose changes it no longer keeps (410
    /// Expired: the client must list again from the start).
    TooOld,
}

impl PageError {
    /// The API server's answer: 400, or 410 Expired.
    pub fn response(&self) -> Response<Body> {
        match self {
            PageError::NotValid(_) => status_response(400, "BadRequest", &self.message(), None),
            PageError::TooOld => status_response(410, "Expired", &self.message(), None),
        }
    }

    /// The API server's words.
    pub fn message(&self) -> String {
        match self {
            PageError::NotValid(token) => {
                format!("continue key is not valid: {token:?} is not a token this server gave")
            }
            PageError::TooOld => "The provided continue parameter is too old to display a \
                 consistent list result. You can start a new list without the continue parameter."
                .to_string(),
        }
    }
}

/// What a list request asks of paging.
pub(crate) struct Asked<'a> {
    /// Which list: its resource and namespace (`*`: all), e.g. `pods/demo`. A token is good for
    /// the list that gave it only, as the API server's names its resource and namespace.
    pub list: String,
    /// `limit` (absent or 0: every item).
    pub limit: Option<&'a str>,
    /// `continue`.
    pub token: Option<&'a str>,
}

/// Cuts `items` to the page `asked` asks for (no limit, or 0: every item after the token). `key`
/// is an item's `namespace/name`; `rv_now` the store's resource version, which a first page
/// reports; `kept` says whether changes since a resource version are still kept (a later page's
/// snapshot must be, or the watch after the list would miss changes).
pub(crate) fn page<T>(
    items: &mut Vec<T>,
    key: impl Fn(&T) -> String,
    asked: &Asked,
    rv_now: u64,
    kept: impl Fn(u64) -> bool,
) -> Result<Page, PageError> {
    items.sort_by_cached_key(|i| key(i));
    let mut rv = rv_now;
    if let Some(token) = asked.token.filter(|t| !t.is_empty()) {
        let not_valid = || PageError::NotValid(token.chars().take(64).collect());
        let (at, list, after) = decode(token).ok_or_else(not_valid)?;
        // Another list's token, or a version this store has not reached: not a token it gave.
        if list != asked.list || at > rv_now {
            return Err(not_valid());
        }
        if !kept(at) {
            return Err(PageError::TooOld);
        }
        rv = at;
        items.retain(|i| key(i) > after);
    }
    let limit = asked
        .limit
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let next = match limit {
        Some(l) if items.len() > l => {
            items.truncate(l);
            items.last().map(|i| encode(rv, &asked.list, &key(i)))
        }
        _ => None,
    };
    Ok(Page { rv, next })
}

/// A token: `RV|list|namespace/name` in hex (opaque to clients, as the API server's; no name
/// holds a `|`).
fn encode(rv: u64, list: &str, after: &str) -> String {
    format!("{rv}|{list}|{after}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode(token: &str) -> Option<(u64, String, String)> {
    if token.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut parts = text.splitn(3, '|');
    let rv = parts.next()?.parse().ok()?;
    let list = parts.next()?.to_string();
    Some((rv, list, parts.next()?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<String> {
        ["demo/c", "apps/z", "demo/a", "demo/b"]
            .map(String::from)
            .to_vec()
    }

    fn asked<'a>(list: &str, limit: &'a str, token: Option<&'a str>) -> Asked<'a> {
        Asked {
            list: list.to_string(),
            limit: Some(limit),
            token,
        }
    }

    #[test]
    fn a_list_comes_in_pages_of_limit_each_at_the_first_page_s_version() {
        let key = |s: &String| s.clone();
        let mut first = all();
        let p = page(&mut first, key, &asked("pods/*", "2", None), 7, |_| true).expect("page");
        assert_eq!(first, ["apps/z", "demo/a"]);
        assert_eq!(p.rv, 7);
        let token = p.next.expect("more");
        // The store moved on; the next page still reports the first page's version.
        let mut second = all();
        let next = asked("pods/*", "2", Some(&token));
        let p = page(&mut second, key, &next, 9, |_| true).expect("page");
        assert_eq!(second, ["demo/b", "demo/c"]);
        assert_eq!(p, Page { rv: 7, next: None }, "nothing left, no token");
        // No limit (or 0): every item, no token.
        let mut whole = all();
        let p = page(&mut whole, key, &asked("pods/*", "0", None), 9, |_| true).expect("page");
        assert_eq!((whole.len(), p.next), (4, None));
        // Tokens this server did not give: not hex, not its shape, from another list, for a
        // version it has not reached.
        let odd = encode(1, "pods/*", "x").replace('3', "");
        let other = encode(7, "services/*", "apps/z");
        let future = encode(10, "pods/*", "demo/a");
        for bad in ["zz", "abc", "6869", &odd, &other, &future] {
            let mut items = all();
            assert!(
                matches!(
                    page(&mut items, key, &asked("pods/*", "2", Some(bad)), 9, |_| {
                        true
                    }),
                    Err(PageError::NotValid(_))
                ),
                "{bad}"
            );
        }
        // A token whose version's changes are gone.
        let mut items = all();
        assert_eq!(
            page(&mut items, key, &next, 2000, |rv| rv > 100),
            Err(PageError::TooOld)
        );
    }
}
