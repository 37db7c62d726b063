//! Which words of a command (an exec's, a tab's) look like they hold a secret: a saved tab with
//! such a command is not written to `tabs.json` ([`crate::opentabs`]), and in the verbose log
//! those words of an exec's URL are masked ([`crate::httplog`]).
//!
//! A word is looked at whole and in parts, split where a shell would split a string handed to
//! `sh -c` (spaces, quotes, `;`, `&`, `|`, parentheses, redirections), so `sh -c 'mysql
//! --password=x'` is caught as `mysql --password=x` is. A part is secret when it:
//! - is a secret-named flag with its value (`--password=x`, `--client-secret=x`);
//! - is a secret-named variable with its value (`DB_PASSWORD=x`, `PGPASSWORD=x`);
//! - looks like a token whatever its name (a JWT, a long mixed or hex run:
//!   [`crate::import::looks_like_token`]);
//! - is a URL with a password (`postgres://u:pw@db/x`);
//! - follows a secret-named flag (`--password x`), `Bearer` or `Basic`, or `-u`/`--user` and
//!   holds a `:` (`curl -u admin:pw`);
//! - is `-pVALUE` in a command that runs a MySQL client (`mysql -ppw`).
//!
//! Names are judged by [`crate::import::looks_secret`] (`--token-file`, `KEY_PATH` are not
//! secret: they name where one is).

use crate::import::{looks_like_token, looks_secret};

/// The MySQL clients, whose `-pVALUE` is a password.
const MYSQL_CLIENTS: [&str; 6] = [
    "mysql",
    "mariadb",
    "mysqldump",
    "mysqladmin",
    "mysqlsh",
    "mysqlimport",
];

/// For each word of `command`, whether it holds (or is) a secret.
pub fn secret_words<S: AsRef<str>>(command: &[S]) -> Vec<bool> {
    let parts: Vec<Vec<&str>> = command.iter().map(|w| parts(w.as_ref())).collect();
    let mysql = parts.iter().flatten().any(|p| {
        let program = p.rsplit('/').next().unwrap_or(p);
        MYSQL_CLIENTS.contains(&program)
    });
    let mut next = Next::Plain;
    parts
        .iter()
        .map(|word| {
            let mut secret = false;
            for part in word {
                secret |= match next {
                    Next::Secret => true,
                    Next::SecretWithColon => part.contains(':'),
                    Next::Plain => false,
                } || part_secret(part, mysql);
                next = what_follows(part);
            }
            secret
        })
        .collect()
}

/// What the part after this one is.
enum Next {
    Plain,
    /// A secret: the value of a secret-named flag, or after an authorization scheme.
    Secret,
    /// A secret if it holds a `:`: `-u user:password`.
    SecretWithColon,
}

/// Whether any word of `command` holds a secret.
pub fn holds_secret<S: AsRef<str>>(command: &[S]) -> bool {
    secret_words(command).contains(&true)
}

/// A word's parts, split as a shell splits a command line (roughly: no quoting rules, only the
/// characters that end a word).
fn parts(word: &str) -> Vec<&str> {
    word.split(|c: char| c.is_whitespace() || "'\"`;&|()<>".contains(c))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether one part is a secret by itself (see the module's description).
fn part_secret(part: &str, mysql: bool) -> bool {
    let (name, value) = part.split_once('=').unwrap_or((part, ""));
    let named = !value.is_empty() && looks_secret(name) && !name.contains(['/', ':']);
    named
        || looks_like_token(part)
        || looks_like_token(value)
        || url_with_password(part)
        || (mysql && part.len() > 2 && part.starts_with("-p") && !part.starts_with("-p="))
}

/// What follows this part: a secret after a secret-named flag without its value or an
/// authorization scheme; after `-u`/`--user`, a secret if it is `user:password` (curl's).
fn what_follows(part: &str) -> Next {
    if (part.starts_with('-') && !part.contains('=') && looks_secret(part))
        || part.eq_ignore_ascii_case("bearer")
        || part.eq_ignore_ascii_case("basic")
    {
        Next::Secret
    } else if part == "-u" || part == "--user" {
        Next::SecretWithColon
    } else {
        Next::Plain
    }
}

/// `scheme://user:password@host…`.
fn url_with_password(part: &str) -> bool {
    let Some((_, rest)) = part.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(command: &[&str]) -> Vec<bool> {
        secret_words(command)
    }

    #[test]
    fn secrets_are_found_as_words_inside_strings_and_after_their_flags() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl";
        let bearer = format!("Authorization: Bearer {jwt}");
        let cases: Vec<(Vec<&str>, Vec<bool>)> = vec![
            (vec!["ls", "-la"], vec![false, false]),
            (vec!["mysql", "--password=hunter2"], vec![false, true]),
            (
                vec!["sh", "-c", "mysql --password=hunter2"],
                vec![false, false, true],
            ),
            (
                vec!["psql", "--password", "hunter2"],
                vec![false, false, true],
            ),
            (vec!["curl", "-H", &bearer], vec![false, false, true]),
            (
                vec!["curl", "-H", "Authorization: Bearer abc"],
                vec![false, false, true],
            ),
            (
                vec!["env", "DB_PASSWORD=hunter2", "app"],
                vec![false, true, false],
            ),
            (
                vec!["sh", "-c", "PGPASSWORD=x psql"],
                vec![false, false, true],
            ),
            (vec!["mysql", "-phunter2"], vec![false, true]),
            (
                vec!["curl", "-u", "admin:hunter2", "http://x"],
                vec![false, false, true, false],
            ),
            (vec!["psql", "postgres://u:hunter2@db/x"], vec![false, true]),
            (vec!["echo", jwt], vec![false, true]),
            // Names that say where a secret is, and ordinary flags, are not secrets.
            (
                vec!["psql", "--password-file", "/run/pw"],
                vec![false, false, false],
            ),
            (
                vec!["env", "KEY_PATH=/k", "TOKEN_FILE=/t"],
                vec![false, false, false],
            ),
            (vec!["mkdir", "-p", "/a/b"], vec![false, false, false]),
            (vec!["ls", "-u", "/tmp"], vec![false, false, false]),
            (vec!["ssh", "-p22", "host"], vec![false, false, false]),
            (vec!["curl", "http://user@host/x"], vec![false, false]),
            (vec!["sh", "-c", "echo a=b; ls"], vec![false, false, false]),
        ];
        for (command, expected) in cases {
            assert_eq!(marks(&command), expected, "{command:?}");
        }
        assert!(holds_secret(&["mysql", "-phunter2"]));
        assert!(!holds_secret::<&str>(&[]));
    }
}
