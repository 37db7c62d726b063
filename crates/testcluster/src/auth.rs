//! Who is asking (bearer token or client certificate) and whether they may (per-user rules), with
//! the API server's words for a refusal.

use crate::config::{AuthKind, Rule};

/// A user as the server knows it.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub kind: AuthKind,
    pub token: Option<String>,
    pub rules: Vec<Rule>,
}

/// What a request wants to do, as RBAC sees it.
#[derive(Debug, Clone)]
pub struct Attrs {
    pub verb: &'static str,
    /// Plural resource, e.g. `pods`.
    pub resource: String,
    /// Subresource, e.g. `exec`.
    pub subresource: Option<&'static str>,
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

/// Finds the user behind a client certificate subject or a bearer token, in the API server's
/// order: a certificate from our CA naming a certificate user wins; otherwise the token must
/// match a token user.
pub fn authenticate<'a>(
    users: &'a [User],
    bearer: Option<&str>,
    cert_cn: Option<&str>,
) -> Option<&'a User> {
    if let Some(cn) = cert_cn {
        if let Some(u) = users
            .iter()
            .find(|u| u.kind == AuthKind::ClientCertificate && u.name == cn)
        {
            return Some(u);
        }
    }
    let token = bearer?;
    users.iter().find(|u| {
        u.token
            .as_deref()
            .is_some_and(|t| constant_time_eq(t, token))
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn any(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

/// Whether `user` may do `attrs`.
pub fn authorize(user: &User, attrs: &Attrs) -> bool {
    let resource = match attrs.subresource {
        Some(sub) => format!("{}/{}", attrs.resource, sub),
        None => attrs.resource.clone(),
    };
    user.rules.iter().any(|r| {
        any(&r.verbs, attrs.verb)
            && any(&r.resources, &resource)
            && match &attrs.namespace {
                Some(ns) => any(&r.namespaces, ns),
                None => r.namespaces.iter().any(|n| n == "*"),
            }
    })
}

/// The API server's 403 message.
pub fn forbidden_message(user: &User, a: &Attrs) -> String {
    let qualified = if a.group.is_empty() {
        a.resource.clone()
    } else {
        format!("{}.{}", a.resource, a.group)
    };
    let resource = match a.subresource {
        Some(sub) => format!("{}/{}", a.resource, sub),
        None => a.resource.clone(),
    };
    let scope = match &a.namespace {
        Some(ns) => format!("in the namespace {ns:?}"),
        None => "at the cluster scope".to_string(),
    };
    let why = format!(
        "User {:?} cannot {} resource {:?} in API group {:?} {}",
        user.name, a.verb, resource, a.group, scope
    );
    match &a.name {
        Some(n) => format!("{qualified} {n:?} is forbidden: {why}"),
        None => format!("{qualified} is forbidden: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> User {
        User {
            name: "viewer".into(),
            kind: AuthKind::ClientCertificate,
            token: None,
            rules: vec![Rule {
                namespaces: vec!["*".into()],
                verbs: vec!["get".into(), "list".into(), "watch".into()],
                resources: vec!["pods".into()],
            }],
        }
    }

    fn exec_attrs() -> Attrs {
        Attrs {
            verb: "create",
            resource: "pods".into(),
            subresource: Some("exec"),
            group: "",
            namespace: Some("demo".into()),
            name: Some("shell".into()),
        }
    }

    #[test]
    fn viewer_reads_pods_but_cannot_exec() {
        let v = viewer();
        let mut get = exec_attrs();
        get.verb = "get";
        get.subresource = None;
        assert!(authorize(&v, &get));
        assert!(!authorize(&v, &exec_attrs()));
        assert_eq!(
            forbidden_message(&v, &exec_attrs()),
            r#"pods "shell" is forbidden: User "viewer" cannot create resource "pods/exec" in API group "" in the namespace "demo""#
        );
    }

    #[test]
    fn cluster_scope_and_groups_are_worded_like_the_api_server() {
        let v = viewer();
        let a = Attrs {
            verb: "list",
            resource: "deployments".into(),
            subresource: None,
            group: "apps",
            namespace: None,
            name: None,
        };
        assert!(!authorize(&v, &a));
        assert_eq!(
            forbidden_message(&v, &a),
            r#"deployments.apps is forbidden: User "viewer" cannot list resource "deployments" in API group "apps" at the cluster scope"#
        );
    }

    #[test]
    fn unknown_tokens_are_nobody() {
        let users = vec![User {
            name: "admin".into(),
            kind: AuthKind::Token,
            token: Some("secret".into()),
            rules: vec![],
        }];
        assert!(authenticate(&users, Some("secret"), None).is_some());
        assert!(authenticate(&users, Some("secreT"), None).is_none());
        assert!(authenticate(&users, None, None).is_none());
        assert!(authenticate(&users, None, Some("admin")).is_none());
    }
}
