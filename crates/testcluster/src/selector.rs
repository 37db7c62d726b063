//! Label and field selectors, as the API server parses them (`a=b,c!=d,e in (f,g),!h`).

use std::collections::BTreeMap;

/// A selector that could not be parsed; the API server answers it with 400.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("unable to parse requirement: {0}")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector(Vec<Req>);

impl Selector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in split_top(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_req(part)?);
        }
        Ok(Selector(reqs))
    }

    /// Whether `fields` (labels, or field values by path) satisfy every requirement.
    pub fn matches(&self, fields: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => fields.get(k) == Some(v),
            Req::Ne(k, v) => fields.get(k) != Some(v),
            Req::In(k, vs) => fields.get(k).is_some_and(|x| vs.contains(x)),
            Req::NotIn(k, vs) => fields.get(k).is_none_or(|x| !vs.contains(x)),
            Req::Exists(k) => fields.contains_key(k),
            Req::NotExists(k) => !fields.contains_key(k),
        })
    }

    /// Keys the selector names (for field selectors: which fields are asked for).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|r| match r {
            Req::Eq(k, _)
            | Req::Ne(k, _)
            | Req::In(k, _)
            | Req::NotIn(k, _)
            | Req::Exists(k)
            | Req::NotExists(k) => k.as_str(),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
}

fn parse_req(part: &str) -> Result<Req, SelectorError> {
    let err = || SelectorError(part.to_string());
    if let Some(k) = part.strip_prefix('!') {
        let k = k.trim();
        return if valid_key(k) {
            Ok(Req::NotExists(k.into()))
        } else {
            Err(err())
        };
    }
    for (op, ne) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            if !valid_key(k) || !valid_value(v) {
                return Err(err());
            }
            return Ok(if ne {
                Req::Ne(k.into(), v.into())
            } else {
                Req::Eq(k.into(), v.into())
            });
        }
    }
    for (op, not) in [(" notin ", true), (" in ", false)] {
        if let Some((k, rest)) = part.split_once(op) {
            let k = k.trim();
            let rest = rest.trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(err)?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if !valid_key(k) || values.iter().any(|v| !valid_value(v)) {
                return Err(err());
            }
            return Ok(if not {
                Req::NotIn(k.into(), values)
            } else {
                Req::In(k.into(), values)
            });
        }
    }
    if valid_key(part) {
        Ok(Req::Exists(part.into()))
    } else {
        Err(err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_set_and_existence() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        let yes = [
            "app=web",
            "app==web",
            "app=web,tier",
            "tier in (front,back)",
            "tier notin (back)",
            "!missing",
            "app!=db",
            "",
        ];
        for s in yes {
            assert!(Selector::parse(s).expect(s).matches(&l), "{s}");
        }
        let no = [
            "app=db",
            "missing",
            "!app",
            "tier in (back)",
            "tier notin (front)",
        ];
        for s in no {
            assert!(!Selector::parse(s).expect(s).matches(&l), "{s}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for s in ["app in web", "=x", "a b", "a=(b"] {
            assert!(Selector::parse(s).is_err(), "{s}");
        }
    }
}
