//! Shell completion. `podterm completion bash|zsh|fish` prints a script that asks `podterm
//! __complete WORD…` (the words before the cursor, then the word under it) for what may come
//! next: subcommands and flags from the command line's own definition; a flag's values where
//! they are known (a namespace, a context, a saved profile, a container, clap's possible values);
//! and, from the cluster the words themselves name (their `--context`, `-n`, `--profile`), the
//! pods and workloads a target may be, as kubectl's completion offers them.
//!
//! The answer is one candidate a line (`text`, or `text<TAB>what it is`), then `:N`, the
//! directive: [`NO_SPACE`] and [`NO_FILES`] or'd (cobra's numbers, as kubectl's script reads
//! them). Nothing here may fail loudly: a cluster that does not answer within [`CLUSTER_WAIT`],
//! or anything else that goes wrong, is no candidates. Names from the server are offered only
//! when they are names (a hostile server's text never reaches the command line being edited).

use clap::CommandFactory;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use kube::api::{Api, ListParams};
use podterm_core::pods::{PodTarget, WorkloadKind};

use crate::conn::Conn;

/// The shell should not add a space after the word (it goes on: `deployments/`, `pod:`).
pub const NO_SPACE: u8 = 2;
/// The shell should not offer file names when there is no candidate.
pub const NO_FILES: u8 = 4;

/// How long completion waits for the cluster, all requests together, unless the line gives
/// `--request-timeout` ([`wait`]).
pub const CLUSTER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// At most this many names of one list are offered (a list is asked for this many).
const MOST: u32 = 2000;

/// kubectl's debug profiles (`podterm debug --profile`).
const DEBUG_PROFILES: [&str; 6] = [
    "legacy",
    "general",
    "baseline",
    "restricted",
    "netadmin",
    "sysadmin",
];

/// The shells a script is printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell: `bash` (then `source <(podterm completion bash)`, e.g. in ~/.bashrc), `zsh`
    /// (`source <(podterm completion zsh)` after `compinit`, e.g. in ~/.zshrc) or `fish`
    /// (`podterm completion fish | source`, e.g. in ~/.config/fish/config.fish).
    pub shell: Shell,
}

/// The script for `shell`.
pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
    }
}

const BASH: &str = r#"# podterm completion for bash: source <(podterm completion bash)
_podterm() {
    # The words as typed, split at blanks only (bash's own words split at ':' and '=' too).
    local line=${COMP_LINE:0:COMP_POINT} cur words
    read -r -a words <<< "$line"
    if [[ -z $line || $line == *[[:blank:]] ]]; then
        cur=""
    else
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    local out
    out=$("$1" __complete "${words[@]:1}" "$cur" 2>/dev/null) || return 0
    local directive=${out##*:}
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    local -a found=()
    local c
    while IFS= read -r c; do
        [[ $c == :* ]] && continue
        found+=("${c%%$'\t'*}")
    done <<< "$out"
    # bash replaces its own word up to the cursor ($2), which starts after a ':' or '='.
    local taken=${cur%"$2"}
    COMPREPLY=()
    for c in "${found[@]}"; do
        [[ $c == "$taken"* ]] && COMPREPLY+=("${c#"$taken"}")
    done
    if (( ${#COMPREPLY[@]} == 0 )); then
        if (( (directive & 4) == 0 )); then
            compopt -o default
        fi
        return 0
    fi
    local last=${found[0]}
    if (( (directive & 2) != 0 )) || [[ ${#found[@]} -eq 1 && $last == *[/:=] ]]; then
        compopt -o nospace
    fi
}
complete -o nosort -F _podterm podterm
"#;

const ZSH: &str = r#"# podterm completion for zsh: source <(podterm completion zsh), after compinit
_podterm() {
    local out directive c
    local -a lines cands opts
    # The words before the cursor's, then what of it is before the cursor.
    out=$("${words[1]}" __complete "${(@)words[2,CURRENT-1]}" "$PREFIX" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    directive=0
    if [[ ${lines[-1]} == :<-> ]]; then
        directive=${lines[-1]#:}
        lines=("${(@)lines[1,-2]}")
    fi
    for c in "${lines[@]}"; do
        [[ -n $c ]] && cands+=("${c%%$'	'*}")
    done
    if (( ${#cands} == 0 )); then
        (( directive & 4 )) || _files
        return
    fi
    if (( directive & 2 )) || [[ ${#cands} -eq 1 && ${cands[1]} == *[/:=] ]]; then
        opts=(-S '')
    fi
    compadd -Q "${opts[@]}" -a cands
}
compdef _podterm podterm
"#;

const FISH: &str = r#"# podterm completion for fish: podterm completion fish | source
function __podterm_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (command $words[1] __complete $words[2..-1] $cur 2>/dev/null)
    or return
    set -l directive 0
    if test (count $out) -gt 0; and string match -qr '^:[0-9]+$' -- $out[-1]
        set directive (string sub -s 2 -- $out[-1])
        set -e out[-1]
    end
    if test (count $out) -eq 0
        if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path $cur
        end
        return
    end
    printf '%s\n' $out
end
complete -c podterm -f -a '(__podterm_complete)'
"#;

/// One candidate: its text and, for a subcommand or a flag, what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub text: String,
    pub about: Option<String>,
}

impl Candidate {
    fn plain(text: impl Into<String>) -> Self {
        Candidate {
            text: text.into(),
            about: None,
        }
    }
}

/// What to offer for the word under the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completions {
    pub candidates: Vec<Candidate>,
    pub directive: u8,
}

impl Completions {
    fn of(candidates: Vec<Candidate>, directive: u8) -> Self {
        Completions {
            candidates,
            directive,
        }
    }

    /// The answer as the scripts read it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.candidates {
            out.push_str(&c.text);
            if let Some(about) = &c.about {
                out.push('\t');
                out.push_str(about);
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive));
        out
    }
}

/// Where the cursor is, from the words before it.
#[derive(Debug)]
struct Place {
    /// The subcommands named (`["profile", "rm"]`).
    path: Vec<String>,
    /// The innermost command (with the global flags).
    cmd: clap::Command,
    /// The positional words given to it.
    positionals: Vec<String>,
    /// A flag whose value is the word under the cursor.
    pending: Option<clap::Arg>,
    /// The values flags were given, by the flag's id.
    values: Vec<(String, String)>,
    /// Past `--`: the command's own words.
    after_dashes: bool,
}

impl Place {
    fn value(&self, id: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.as_str())
    }

    fn sub(&self) -> &str {
        self.path.first().map_or("", String::as_str)
    }
}

fn root() -> clap::Command {
    let mut cmd = crate::Cli::command();
    cmd.build();
    cmd
}

fn takes_value(a: &clap::Arg) -> bool {
    a.get_action().takes_values()
}

/// A flag whose value is given only with `=` (`--attach=false`; `--attach` alone is `true`):
/// the next word is not its value.
fn value_optional(a: &clap::Arg) -> bool {
    a.is_require_equals_set() || a.get_num_args().is_some_and(|r| r.min_values() == 0)
}

fn long_arg(cmd: &clap::Command, name: &str) -> Option<clap::Arg> {
    cmd.get_arguments()
        .find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|all| all.contains(&name))
        })
        .cloned()
}

fn short_arg(cmd: &clap::Command, c: char) -> Option<clap::Arg> {
    cmd.get_arguments()
        .find(|a| {
            a.get_short() == Some(c)
                || a.get_all_short_aliases()
                    .is_some_and(|all| all.contains(&c))
        })
        .cloned()
}

/// Reads the words before the cursor as clap would, leniently (they are unfinished).
fn locate(words: &[String]) -> Place {
    let mut place = Place {
        path: vec![],
        cmd: root(),
        positionals: vec![],
        pending: None,
        values: vec![],
        after_dashes: false,
    };
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if place.after_dashes {
            continue;
        }
        if w == "--" {
            place.after_dashes = true;
            continue;
        }
        if let Some(long) = w.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(arg) = long_arg(&place.cmd, name) else {
                continue;
            };
            if !takes_value(&arg) || (inline.is_none() && value_optional(&arg)) {
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None if i < words.len() => {
                    i += 1;
                    words[i - 1].clone()
                }
                None => {
                    place.pending = Some(arg);
                    break;
                }
            };
            place.values.push((arg.get_id().to_string(), value));
            continue;
        }
        if let Some(shorts) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (at, c) in shorts.char_indices() {
                let Some(arg) = short_arg(&place.cmd, c) else {
                    break;
                };
                if !takes_value(&arg) {
                    continue;
                }
                if value_optional(&arg) && shorts[at + c.len_utf8()..].is_empty() {
                    break;
                }
                let rest = &shorts[at + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                let value = if !rest.is_empty() {
                    rest.to_string()
                } else if i < words.len() {
                    i += 1;
                    words[i - 1].clone()
                } else {
                    place.pending = Some(arg);
                    return place;
                };
                place.values.push((arg.get_id().to_string(), value));
                break;
            }
            continue;
        }
        let sub = place
            .positionals
            .is_empty()
            .then(|| place.cmd.find_subcommand(w).cloned())
            .flatten();
        match sub {
            Some(sub) => {
                place.path.push(sub.get_name().to_string());
                place.cmd = sub;
            }
            None => place.positionals.push(w.clone()),
        }
    }
    place
}

/// How long the answer for `words` may wait for the cluster: the line's `--request-timeout`,
/// else [`CLUSTER_WAIT`].
pub fn wait(words: &[String]) -> std::time::Duration {
    let before = words.split_last().map_or(&[][..], |(_, b)| b);
    conn_of(&locate(before), before).map_or(CLUSTER_WAIT, |c| cluster_wait(&c))
}

fn cluster_wait(conn: &Conn) -> std::time::Duration {
    match conn.request_timeout {
        Some(crate::conn::RequestTimeout(Some(t))) => t,
        _ => CLUSTER_WAIT,
    }
}

/// No candidate, and no file names either (the cluster did not answer in time).
pub fn nothing() -> Completions {
    Completions::of(vec![], NO_FILES)
}

/// What may come as the last word of `words` (the words after `podterm`; the last is the word
/// under the cursor, maybe empty).
pub async fn complete(words: &[String]) -> Completions {
    let (cur, before) = match words.split_last() {
        Some((cur, before)) => (cur.as_str(), before),
        None => ("", &[][..]),
    };
    let place = locate(before);
    let mut out = offer(&place, cur, before).await;
    out.candidates.retain(|c| c.text.starts_with(cur));
    out
}

async fn offer(place: &Place, cur: &str, before: &[String]) -> Completions {
    if place.after_dashes {
        return Completions::default();
    }
    if let Some(arg) = &place.pending {
        return flag_values(place, arg, "", before).await;
    }
    if let Some(long) = cur.strip_prefix("--") {
        if let Some((name, _)) = long.split_once('=') {
            let Some(arg) = long_arg(&place.cmd, name) else {
                return Completions::of(vec![], NO_FILES);
            };
            let mut values = flag_values(place, &arg, &format!("--{name}="), before).await;
            values.directive |= NO_FILES;
            return values;
        }
    }
    if cur.starts_with('-') {
        return Completions::of(flags(&place.cmd), NO_FILES);
    }
    let has_subcommands = place.cmd.get_subcommands().next().is_some();
    if has_subcommands && place.positionals.is_empty() {
        let subs = place
            .cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| Candidate {
                text: s.get_name().to_string(),
                about: s.get_about().map(|a| first_line(&a.to_string())),
            })
            .collect();
        return Completions::of(subs, NO_FILES);
    }
    positional(place, cur, before).await
}

/// The command's flags (its own and the global ones), long names with what each is.
fn flags(cmd: &clap::Command) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .filter_map(|a| {
            a.get_long().map(|long| Candidate {
                text: format!("--{long}"),
                about: a.get_help().map(|h| first_line(&h.to_string())),
            })
        })
        .collect();
    out.sort_by(|a, b| a.text.cmp(&b.text));
    out.dedup_by(|a, b| a.text == b.text);
    out
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.split(". ")
        .next()
        .unwrap_or(line)
        .trim_end_matches('.')
        .to_string()
}

/// A flag's values: `prefix` is put before each (`--namespace=`).
async fn flag_values(
    place: &Place,
    arg: &clap::Arg,
    prefix: &str,
    before: &[String],
) -> Completions {
    let with = |names: Vec<String>| {
        names
            .into_iter()
            .map(|n| Candidate::plain(format!("{prefix}{n}")))
            .collect::<Vec<_>>()
    };
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !possible.is_empty() {
        return Completions::of(with(possible), NO_FILES);
    }
    // A yes-or-no flag (its value a bool): `--stdin=` offers its two values.
    if arg.get_value_parser().type_id() == std::any::TypeId::of::<bool>() {
        return Completions::of(with(vec!["false".into(), "true".into()]), NO_FILES);
    }
    let names = match arg.get_id().as_str() {
        // `--profile` is kubectl's debug profile in `debug`, in both positions.
        "profile" if place.sub() == "debug" => {
            DEBUG_PROFILES.iter().map(|s| s.to_string()).collect()
        }
        "profile" | "cluster_profile" => profile_names(),
        "context" => kubeconfig_names(place, |k| {
            k.contexts.iter().map(|c| c.name.clone()).collect()
        }),
        "cluster" => kubeconfig_names(place, |k| {
            k.clusters.iter().map(|c| c.name.clone()).collect()
        }),
        "user" => kubeconfig_names(place, |k| {
            k.auth_infos.iter().map(|c| c.name.clone()).collect()
        }),
        "namespace" => from_cluster(place, before, |c| Box::pin(namespaces(c))).await,
        // `-c` of exec, attach and logs names one of the pod's containers; debug's `--target`
        // too (debug's own `-c` names the new one; cp's pod is in its `POD:PATH`).
        "container" if matches!(place.sub(), "exec" | "attach" | "logs") => {
            from_cluster(place, before, |c| {
                Box::pin(containers(c, place.positionals.first().cloned()))
            })
            .await
        }
        // A name for the new container: nothing to offer, and no file names.
        "container" if place.sub() == "debug" => vec![],
        "target_container" if place.sub() == "debug" => {
            from_cluster(place, before, |c| {
                Box::pin(containers(c, place.positionals.first().cloned()))
            })
            .await
        }
        // A file's or another free value: the shell's own file names, or nothing.
        _ => return Completions::default(),
    };
    Completions::of(with(names), NO_FILES)
}

/// What a positional word may be, by subcommand.
async fn positional(place: &Place, cur: &str, before: &[String]) -> Completions {
    let first = place.positionals.is_empty();
    match (
        place
            .path
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        first,
    ) {
        (["exec" | "attach" | "logs" | "port-forward"], true) => {
            let mut found =
                from_cluster(place, before, |c| Box::pin(targets(c, cur.to_string()))).await;
            if !cur.contains('/') {
                // The kinds a target may be, as kubectl offers them (the cluster reached or not).
                found.extend(KINDS.map(String::from));
            }
            Completions::of(found.into_iter().map(Candidate::plain).collect(), NO_FILES)
        }
        (["debug"], true) => {
            let found = from_cluster(place, before, |c| Box::pin(pod_names(c))).await;
            let mut found: Vec<Candidate> = found.into_iter().map(Candidate::plain).collect();
            found.push(Candidate::plain("node/"));
            Completions::of(found, NO_FILES)
        }
        (["cp"], _) if !cur.contains(':') => {
            // A pod's side (`POD:PATH`), or the local side: the shell's file names.
            let found = from_cluster(place, before, |c| Box::pin(pod_names(c))).await;
            let pods = found
                .into_iter()
                .map(|p| Candidate::plain(format!("{p}:")))
                .collect();
            Completions::of(pods, NO_SPACE)
        }
        (["connect"] | ["favourite", "rm"], true) => Completions::of(
            favourite_names()
                .into_iter()
                .map(Candidate::plain)
                .collect(),
            NO_FILES,
        ),
        (["profile", "show" | "rm"], true) => Completions::of(
            profile_names().into_iter().map(Candidate::plain).collect(),
            NO_FILES,
        ),
        (["completion"], true) => Completions::of(
            ["bash", "fish", "zsh"]
                .into_iter()
                .map(Candidate::plain)
                .collect(),
            NO_FILES,
        ),
        _ => Completions::of(vec![], NO_FILES),
    }
}

/// Whether a name from outside is one (a Kubernetes object's or a context's name): only such
/// names are put on the command line being edited.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@' | ':' | '/'))
}

/// A path typed with `~/` (the shell leaves it so on a line being completed), from `$HOME`.
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

fn profile_names() -> Vec<String> {
    let mut names: Vec<String> = podterm_core::profiles::ProfileStore::open_default()
        .and_then(|s| s.list())
        .map(|l| {
            l.into_iter()
                .map(|p| p.name)
                .filter(|n| is_name(n))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn favourite_names() -> Vec<String> {
    podterm_core::favourites::FavouriteStore::open_default()
        .ok()
        .and_then(|s| s.list().ok())
        .map(|l| {
            l.into_iter()
                .map(|f| f.name)
                .filter(|n| is_name(n))
                .collect()
        })
        .unwrap_or_default()
}

fn kubeconfig_names(
    place: &Place,
    pick: impl Fn(&kube::config::Kubeconfig) -> Vec<String>,
) -> Vec<String> {
    let read = match place.value("kubeconfig").filter(|p| !p.is_empty()) {
        Some(path) => kube::config::Kubeconfig::read_from(expand_home(path)),
        None => kube::config::Kubeconfig::read(),
    };
    read.map(|k| pick(&k).into_iter().filter(|n| is_name(n)).collect())
        .unwrap_or_default()
}

type Listing<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + Send + 'a>>;

/// Asks the cluster the words name (their connection flags, read as the command would read
/// them), within [`CLUSTER_WAIT`]; nothing when it cannot be reached.
async fn from_cluster<'a>(
    place: &'a Place,
    before: &[String],
    ask: impl FnOnce(Cluster) -> Listing<'a>,
) -> Vec<String> {
    let Some(conn) = conn_of(place, before) else {
        return vec![];
    };
    let asked = async {
        let cluster = crate::conn::connect(&conn).await.ok()?;
        Some(
            ask(Cluster {
                client: cluster.client,
                namespace: cluster.namespace,
            })
            .await,
        )
    };
    let found = tokio::time::timeout(cluster_wait(&conn), asked)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut found = found;
    found.dedup();
    found
}

/// The client and namespace the words name.
struct Cluster {
    client: kube::Client,
    namespace: String,
}

/// The connection flags among the words (clap reads them, leniently: the line is unfinished).
fn conn_of(place: &Place, before: &[String]) -> Option<Conn> {
    use clap::FromArgMatches;
    let args = std::iter::once("podterm".to_string()).chain(before.iter().cloned());
    let matches = crate::last_wins(crate::Cli::command())
        .ignore_errors(true)
        .try_get_matches_from(args)
        .ok()?;
    let mut conn = Conn::from_arg_matches(&matches).ok()?;
    conn.forget_empty();
    for path in [
        &mut conn.kubeconfig,
        &mut conn.certificate_authority,
        &mut conn.client_certificate,
        &mut conn.client_key,
    ] {
        if let Some(p) = path.as_ref().and_then(|p| p.to_str()) {
            *path = Some(expand_home(p));
        }
    }
    if place.sub() == "debug" {
        // There `--profile` is the debug profile; the saved one is `--cluster-profile`.
        conn.profile = place.value("cluster_profile").map(str::to_string);
    }
    Some(conn)
}

async fn namespaces(c: Cluster) -> Vec<String> {
    names(Api::<Namespace>::all(c.client)).await
}

async fn pod_names(c: Cluster) -> Vec<String> {
    names(Api::<Pod>::namespaced(c.client, &c.namespace)).await
}

async fn names<K>(api: Api<K>) -> Vec<String>
where
    K: kube::Resource + Clone + k8s_openapi::serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.list_metadata(&ListParams::default().limit(MOST)).await {
        Ok(list) => {
            let mut names: Vec<String> = list
                .items
                .into_iter()
                .filter_map(|m| m.metadata.name)
                .filter(|n| is_name(n))
                .collect();
            names.sort();
            names
        }
        Err(_) => vec![],
    }
}

/// What an exec, attach, logs or port-forward target may be, from the cluster: the namespace's
/// pods; once a kind is typed (`deploy/w`), the workloads of that kind, in the spelling typed.
async fn targets(c: Cluster, cur: String) -> Vec<String> {
    if let Some((kind, _)) = cur.split_once('/') {
        let parsed = PodTarget::parse(&format!("{kind}/x"));
        let ns = c.namespace.clone();
        let found = match parsed {
            Ok(PodTarget::Pod(_)) => pod_names(c).await,
            Ok(PodTarget::Workload { kind: k, .. }) => workload_names(c.client, &ns, k).await,
            _ => vec![],
        };
        return found.into_iter().map(|n| format!("{kind}/{n}")).collect();
    }
    pod_names(c).await
}

/// The kinds of target offered before a name (`rc/` is not one podterm takes).
const KINDS: [&str; 7] = [
    "daemonsets/",
    "deployments/",
    "jobs/",
    "pods/",
    "replicasets/",
    "services/",
    "statefulsets/",
];

async fn workload_names(client: kube::Client, ns: &str, kind: WorkloadKind) -> Vec<String> {
    match kind {
        WorkloadKind::Deployment => names(Api::<Deployment>::namespaced(client, ns)).await,
        WorkloadKind::StatefulSet => names(Api::<StatefulSet>::namespaced(client, ns)).await,
        WorkloadKind::DaemonSet => names(Api::<DaemonSet>::namespaced(client, ns)).await,
        WorkloadKind::ReplicaSet => names(Api::<ReplicaSet>::namespaced(client, ns)).await,
        WorkloadKind::Service => names(Api::<Service>::namespaced(client, ns)).await,
        WorkloadKind::Job => names(Api::<Job>::namespaced(client, ns)).await,
    }
}

/// The containers of the pod the target means (a workload's: the pod exec would take).
async fn containers(c: Cluster, target: Option<String>) -> Vec<String> {
    let Some(target) = target.and_then(|t| PodTarget::parse(&t).ok()) else {
        return vec![];
    };
    let needs = podterm_core::pods::Runs::Container(None);
    let pod =
        match podterm_core::pods::resolve_to_run(&c.client, &c.namespace, &target, needs).await {
            Ok(found) => found.pod,
            Err(_) => match podterm_core::pods::matching(&c.client, &c.namespace, &target).await {
                Ok(mut pods) if !pods.is_empty() => pods.swap_remove(0),
                _ => return vec![],
            },
        };
    pod.spec
        .map(|s| {
            // Init containers too, as kubectl offers them.
            s.containers
                .into_iter()
                .chain(s.init_containers.unwrap_or_default())
                .map(|c| c.name)
                .filter(|n| is_name(n))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut w: Vec<String> = line.split(' ').map(String::from).collect();
        if line.is_empty() {
            w = vec![String::new()];
        }
        w
    }

    async fn offered(line: &str) -> Vec<String> {
        complete(&words(line))
            .await
            .candidates
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[tokio::test]
    async fn subcommands_flags_and_known_values_come_from_the_command_line() {
        assert_eq!(offered("ex").await, ["exec"]);
        let all = offered("").await;
        for sub in [
            "exec",
            "attach",
            "debug",
            "cp",
            "logs",
            "port-forward",
            "connect",
        ] {
            assert!(all.iter().any(|s| s == sub), "{sub}: {all:?}");
        }
        assert_eq!(offered("profile r").await, ["rm"]);
        // A subcommand's own flags and the global ones.
        let exec = offered("exec --").await;
        for flag in [
            "--container",
            "--stdin",
            "--tty",
            "--namespace",
            "--context",
        ] {
            assert!(exec.iter().any(|f| f == flag), "{flag}: {exec:?}");
        }
        assert_eq!(offered("exec --pod-r").await, ["--pod-running-timeout"]);
        // A yes-or-no flag's two values after `=`.
        assert_eq!(
            offered("exec --stdin=").await,
            ["--stdin=false", "--stdin=true"]
        );
        assert_eq!(offered("logs --follow=f").await, ["--follow=false"]);
        // Clap's possible values, and kubectl's debug profiles for debug's --profile.
        assert_eq!(offered("completion ").await, ["bash", "fish", "zsh"]);
        assert_eq!(offered("debug --profile net").await, ["netadmin"]);
        assert_eq!(
            offered("debug pod --profile=gen").await,
            ["--profile=general"]
        );
        // Past `--`: the command's own words.
        assert!(offered("exec shell -- l").await.is_empty());
    }

    #[test]
    fn the_words_are_read_as_clap_reads_them() {
        let p = locate(&words("-n demo exec -it --context=c -c main shell"));
        assert_eq!(p.path, ["exec"]);
        assert_eq!(p.positionals, ["shell"]);
        assert_eq!(p.value("namespace"), Some("demo"));
        assert_eq!(p.value("context"), Some("c"));
        assert_eq!(p.value("container"), Some("main"));
        let p = locate(&words("exec -n"));
        assert_eq!(
            p.pending.map(|a| a.get_id().to_string()).as_deref(),
            Some("namespace")
        );
        let p = locate(&words("favourite rm"));
        assert_eq!(p.path, ["favourite", "rm"]);
        assert!(locate(&words("exec pod -- sh -n")).after_dashes);
        // A flag whose value needs `=` does not take the next word: that is the target.
        let p = locate(&words("debug --share-processes shell -c"));
        assert_eq!(p.positionals, ["shell"]);
        assert_eq!(
            p.pending.map(|a| a.get_id().to_string()).as_deref(),
            Some("container")
        );
        let p = locate(&words("debug --attach=false shell"));
        assert_eq!(p.positionals, ["shell"]);
        assert_eq!(p.value("attach"), Some("false"));
    }

    #[test]
    fn only_names_reach_the_command_line() {
        for good in ["web-6b7f9c8d5-h2x4k", "kube-system", "admin@prod", "a.b_c"] {
            assert!(is_name(good), "{good}");
        }
        assert!(is_name("arn:aws:eks:eu-west-1:123456789012:cluster/prod"));
        for bad in [
            "",
            "a b",
            "a;rm -rf ~",
            "a\nb",
            "\u{1b}[2J",
            "$(x)",
            "a`b`",
            "--insecure",
        ] {
            assert!(!is_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_answer_is_a_line_each_then_the_directive() {
        let c = Completions::of(
            vec![
                Candidate::plain("shell"),
                Candidate {
                    text: "exec".into(),
                    about: Some("Run a command".into()),
                },
            ],
            NO_FILES | NO_SPACE,
        );
        assert_eq!(c.render(), "shell\nexec\tRun a command\n:6\n");
    }
}
