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
#[derive(Debug, Clone, PartialEq)]
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
    allows(user, attrs.verb, &resource, attrs.namespace.as_deref())
}

/// Whether a rule of `user` allows `verb` on `resource` (`pods`, `pods/exec`) in `namespace`
/// (`None`: cluster-wide).
pub fn allows(user: &User, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
    user.rules.iter().any(|r| {
        any(&r.verbs, verb)
            && any(&r.resources, resource)
            && match namespace {
                Some(ns) => any(&r.namespaces, ns),
                None => r.namespaces.iter().any(|n| n == "*"),
            }
    })
}

/// What a request asks to act as (`Impersonate-User`, `-Group`, `-Uid` headers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Impersonation {
    pub user: Option<String>,
    pub groups: Vec<String>,
    pub uid: Option<String>,
}

/// Why impersonation was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Groups or a UID without a user (the API server's 500).
    NoUser,
    /// The requester may not impersonate this (the API server's 403).
    Forbidden(Attrs),
}

/// The user a request acts as: the requester, or whom it impersonates when the requester may
/// (`impersonate` on `users`, or on the namespace's `serviceaccounts` for
/// `system:serviceaccount:NS:NAME`; on `groups`; on `uids` in `authentication.k8s.io`), as the
/// API server checks it. An impersonated user the cluster does not know may do nothing.
pub fn acting_as(requester: &User, users: &[User], imp: &Impersonation) -> Result<User, Refusal> {
    let Some(name) = &imp.user else {
        if imp.groups.is_empty() && imp.uid.is_none() {
            return Ok(requester.clone());
        }
        return Err(Refusal::NoUser);
    };
    let attrs = |resource: &str, group: &'static str, namespace: Option<&str>, name: &str| Attrs {
        verb: "impersonate",
        resource: resource.to_string(),
        subresource: None,
        group,
        namespace: namespace.map(str::to_owned),
        name: Some(name.to_owned()),
    };
    let mut wanted = vec![match name
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
    {
        Some((ns, sa)) => attrs("serviceaccounts", "", Some(ns), sa),
        None => attrs("users", "", None, name),
    }];
    wanted.extend(imp.groups.iter().map(|g| attrs("groups", "", None, g)));
    if let Some(uid) = &imp.uid {
        wanted.push(attrs("uids", "authentication.k8s.io", None, uid));
    }
    if let Some(refused) = wanted.into_iter().find(|a| !authorize(requester, a)) {
        return Err(Refusal::Forbidden(refused));
    }
    Ok(users
        .iter()
        .find(|u| &u.name == name)
        .cloned()
        .unwrap_or_else(|| User {
            name: name.clone(),
            kind: AuthKind::Token,
            token: None,
            rules: vec![],
        }))
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
    fn impersonation_needs_the_verb_on_each_thing_impersonated() {
        let admin = User {
            name: "admin".into(),
            kind: AuthKind::Token,
            token: None,
            rules: vec![Rule {
                namespaces: vec!["*".into()],
                verbs: vec!["*".into()],
                resources: vec!["*".into()],
            }],
        };
        let users = vec![admin.clone(), viewer()];
        let imp = |user: Option<&str>, groups: &[&str], uid: Option<&str>| Impersonation {
            user: user.map(str::to_owned),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            uid: uid.map(str::to_owned),
        };
        // None asked: the requester. A known user: its rules; an unknown one: none.
        assert_eq!(
            acting_as(&admin, &users, &imp(None, &[], None)).map(|u| u.name),
            Ok("admin".into())
        );
        let v = acting_as(&admin, &users, &imp(Some("viewer"), &["g"], Some("7"))).expect("viewer");
        assert_eq!((v.name.as_str(), v.rules.len()), ("viewer", 1));
        let sa = acting_as(
            &admin,
            &users,
            &imp(Some("system:serviceaccount:demo:app"), &[], None),
        )
        .expect("sa");
        assert!(sa.rules.is_empty());
        // Groups or a UID alone; a requester without the verb: refused, naming what it lacks.
        assert_eq!(
            acting_as(&admin, &users, &imp(None, &["g"], None)).err(),
            Some(Refusal::NoUser)
        );
        match acting_as(
            &viewer(),
            &users,
            &imp(Some("system:serviceaccount:demo:app"), &[], None),
        ) {
            Err(Refusal::Forbidden(a)) => {
                assert_eq!(
                    forbidden_message(&viewer(), &a),
                    "serviceaccounts \"app\" is forbidden: User \"viewer\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"demo\""
                );
            }
            other => panic!("{other:?}"),
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
