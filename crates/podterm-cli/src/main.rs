//! `podterm`: the command line over podterm-core. `podterm exec` and `podterm attach` behave as
//! `kubectl exec` and `kubectl attach` do: same flags, messages and exit codes. `podterm
//! debug` adds an ephemeral container as `kubectl debug` does, `podterm cp` copies files as
//! `kubectl cp` does. `podterm
//! favourite` keeps quick-connects and `podterm connect NAME` opens one.
//!
//! One module per subcommand ([`exec`] for exec and attach, [`logs`], [`profile`], [`favourite`],
//! [`connect`]); [`conn`] chooses the cluster, [`session`] runs a session against the local
//! terminal, [`failure`] prints what went wrong, [`table`] prints lists, [`verbose`] is `-v`'s
//! log, [`warnings`] prints the API server's warnings. This file parses and dispatches.

mod completion;
mod conn;
mod connect;
mod cp;
mod debug;
mod exec;
mod failure;
mod fanout;
mod favourite;
mod logs;
mod portforward;
mod profile;
mod record;
mod session;
mod table;
mod term;
mod verbose;
mod warnings;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "podterm", version, about = "A fast `kubectl exec`")]
struct Cli {
    /// kubectl's connection flags and `--profile`: global, so accepted before or after the
    /// subcommand (never after `--`, where the command's own arguments are).
    #[command(flatten)]
    conn: conn::Conn,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a command in a container (as `kubectl exec`); with -i (or -it) and no command, a shell.
    Exec(exec::ExecArgs),
    /// Attach to a container's main process (as `kubectl attach`).
    Attach(exec::AttachArgs),
    /// Add a debug (ephemeral) container to a running pod, or debug a copy of a pod
    /// (`--copy-to`), and attach to it (as `kubectl debug`).
    Debug(debug::DebugArgs),
    /// Copy files and directories to and from containers (as `kubectl cp`, and with it).
    Cp(cp::CpArgs),
    /// Print a container's logs (as `kubectl logs`); a follow resumes after a dropped connection.
    Logs(logs::LogsArgs),
    /// Forward local ports to a pod (as `kubectl port-forward`); a workload's forward follows
    /// its pods across a rollout.
    PortForward(portforward::PortForwardArgs),
    /// Saved cluster profiles (secrets in the OS keyring).
    #[command(subcommand)]
    Profile(profile::ProfileCmd),
    /// Favourites: a profile, namespace, workload or pod, container and command, saved by name.
    #[command(subcommand)]
    Favourite(favourite::FavouriteCmd),
    /// Open a favourite: a shell (or its command) in the newest Ready pod of its workload now.
    Connect(connect::ConnectArgs),
    /// Print the shell completion script (bash, zsh or fish): subcommands, flags, and the pods,
    /// workloads, namespaces, contexts, containers, profiles and favourites they name.
    Completion(completion::CompletionArgs),
}

/// The command line parsed as kubectl's: a flag given twice takes its last value (`-n a -n b`
/// is `b`), where clap would refuse it.
fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let matches = last_wins(Cli::command()).try_get_matches_from(&args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    // A repeatable global flag keeps only the values of the last level it was given at (clap):
    // `--as-group a exec --as-group b` is both groups, as in kubectl.
    cli.conn.as_groups = every_value(&args, "--as-group");
    cli.conn.forget_empty();
    Ok(cli)
}

/// A boolean flag's value as kubectl (Go's `strconv.ParseBool`) reads it: every boolean flag
/// takes `--flag`, `--flag=true` and `--flag=false` (`-i=false` too), as kubectl's do, so a
/// script written for kubectl runs unchanged.
pub(crate) fn go_bool(v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {v:?}: invalid syntax")),
    }
}

/// A flag given twice takes its last value, in every subcommand.
fn last_wins(c: clap::Command) -> clap::Command {
    c.args_override_self(true).mut_subcommands(last_wins)
}

/// Every value of `flag` (`--flag V` or `--flag=V`) before `--`.
fn every_value(args: &[std::ffi::OsString], flag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(a) = rest.next() {
        if a == "--" {
            break;
        }
        if a == flag {
            out.extend(rest.next().map(str::to_owned));
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            out.push(v.to_owned());
        }
    }
    out
}

fn main() -> ExitCode {
    // The completion scripts' question: what may come as the last word of these.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "__complete")
    {
        return complete(std::env::args_os().skip(2));
    }
    let cli = match parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        // Help and --version print to stdout and exit 0; a usage error (an unknown flag, a
        // missing argument) exits 1, as kubectl's do: clap's own code for it is 2.
        Err(e) => {
            // Arguments as given, not all of them UTF-8 (a file name): read lossily.
            let args = std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned());
            if let Some(words) = usage_words(&e, args) {
                eprintln!("{words}");
                return ExitCode::FAILURE;
            }
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    verbose::install(cli.conn.verbosity);
    warnings::install();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(async {
        let conn = &cli.conn;
        if let Err(f) = global_check(&cli) {
            return f.report();
        }
        let r = match cli.cmd {
            Cmd::Exec(a) => exec::exec(a, conn)
                .await
                .map_err(|f| f.with_profile_hint(conn.profile.as_deref())),
            Cmd::Attach(a) => exec::attach(a, conn)
                .await
                .map_err(|f| f.with_profile_hint(conn.profile.as_deref())),
            Cmd::Debug(a) => {
                let profile = a.cluster_profile.clone();
                debug::debug(a, conn)
                    .await
                    .map_err(|f| f.with_profile_hint(profile.as_deref()))
            }
            Cmd::Cp(a) => cp::cp(a, conn)
                .await
                .map_err(|f| f.with_profile_hint(conn.profile.as_deref())),
            Cmd::Logs(a) => logs::logs(a, conn)
                .await
                .map_err(|f| f.with_profile_hint(conn.profile.as_deref())),
            Cmd::PortForward(a) => portforward::port_forward(a, conn)
                .await
                .map_err(|f| f.with_profile_hint(conn.profile.as_deref())),
            Cmd::Profile(p) => profile::profile(p, conn).await,
            Cmd::Favourite(f) => favourite::favourite(f, conn),
            Cmd::Connect(a) => connect::connect_favourite(a, conn).await,
            Cmd::Completion(a) => {
                print!("{}", completion::script(a.shell));
                Ok(0)
            }
        };
        r.unwrap_or_else(failure::Failure::report)
    });
    // Leave at once: the stdin reader may be blocked in a read that never returns.
    rt.shutdown_background();
    std::process::exit(code);
}

/// `podterm __complete WORD…`: the candidates for the last word, as the completion scripts read
/// them; always exit 0 (a failure is no candidates). The answer is found on a thread of its own
/// and waited for until the cluster's time is up: an exec plugin (a browser sign-in) or a
/// keyring prompt blocks where no timer inside can end it, and a TAB must not hang on it.
fn complete(words: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    use std::io::Write as _;
    let words: Vec<String> = words.map(|w| w.to_string_lossy().into_owned()).collect();
    let deadline = completion::wait(&words) + std::time::Duration::from_secs(1);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let _ = tx.send(rt.block_on(completion::complete(&words)));
        rt.shutdown_background();
    });
    let found = rx
        .recv_timeout(deadline)
        .unwrap_or_else(|_| completion::nothing());
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(found.render().as_bytes());
    let _ = out.flush();
    // Not waiting for what may still block (a plugin, a keyring prompt): it is left behind.
    std::process::exit(0)
}

/// An unknown flag in kubectl's words (`Error: unknown flag: --copy-to` and where the help is),
/// rather than clap's tip to pass it after `--`: after `--` a flag becomes the command to run
/// (for `debug`, in a container that can never be removed). A value refused by one of our
/// parsers, as kubectl's `invalid argument "V" for "--flag" flag: why`.
fn usage_words(e: &clap::Error, args: impl Iterator<Item = String>) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::CommandFactory;
    let args: Vec<String> = args.take_while(|a| a != "--").collect();
    // `-v exec shell`: clap takes `exec` as -v's value, then finds no subcommand `shell` before
    // it reads that value. The value is what is wrong (kubectl takes `shell` for a plugin's name
    // there and says flags cannot come before it).
    let cmd = Cli::command();
    let sub = subcommand_word(&cmd, &args);
    if e.kind() == ErrorKind::InvalidSubcommand {
        // Under `profile` or `favourite`, theirs is the command that lacks it.
        let parent = match sub {
            Some(s) => format!("podterm {s}"),
            None => "podterm".to_string(),
        };
        return not_a_level(&args).or_else(|| unknown_command(e, &parent));
    }
    let help = match sub {
        Some(sub) => format!("podterm {sub} --help"),
        None => "podterm --help".to_string(),
    };
    // What a command cannot go without, in its kubectl's words.
    if e.kind() == ErrorKind::MissingRequiredArgument {
        return match sub.map(String::as_str) {
            Some("attach") => Some("error: at least 1 argument is required for attach".into()),
            Some("cp") => Some("error: source and destination are required".into()),
            _ => None,
        };
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    // A flag given last with no value: pflag's words, for the flag as it was written.
    if e.kind() == ErrorKind::InvalidValue
        && matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty())
    {
        let long = arg.split(['[', ' ', '=']).next().unwrap_or(arg);
        let short = long.strip_prefix("--").and_then(|l| {
            sub.and_then(|s| cmd.find_subcommand(s))
                .into_iter()
                .chain(std::iter::once(&cmd))
                .flat_map(|c| c.get_arguments())
                .find(|a| a.get_long() == Some(l))?
                .get_short()
        });
        let words = match short {
            Some(c) if args.last().is_some_and(|w| *w == format!("-{c}")) => {
                format!("flag needs an argument: '{c}' in -{c}")
            }
            _ => format!("flag needs an argument: {long}"),
        };
        return Some(podterm_core::text::shown(&format!(
            "Error: {words}\nSee '{help}' for usage."
        )));
    }
    // `exec POD COMMAND` without `--`: kubectl's refusal, which says what to write instead.
    if e.kind() == ErrorKind::UnknownArgument
        && sub.is_some_and(|s| s == "exec")
        && !arg.starts_with('-')
    {
        return Some(
            "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'podterm exec -h' for help and examples"
                .into(),
        );
    }
    // A value our own parser refused (`--env`, `--attach=maybe`): kubectl's invalid argument.
    if e.kind() == ErrorKind::ValueValidation {
        let flag = arg.split(['[', ' ', '=']).next().unwrap_or(arg);
        let Some(ContextValue::String(value)) = e.get(ContextKind::InvalidValue) else {
            return None;
        };
        // Named as kubectl names it: with its shorthand, when it has one (`-i, --stdin`).
        let short = flag.strip_prefix("--").and_then(|long| {
            let sub = sub.and_then(|s| cmd.find_subcommand(s));
            sub.into_iter()
                .chain(std::iter::once(&cmd))
                .flat_map(|c| c.get_arguments())
                .find(|a| a.get_long() == Some(long))?
                .get_short()
        });
        let flag = match short {
            Some(c) => format!("-{c}, {flag}"),
            None => flag.to_string(),
        };
        let why = std::error::Error::source(e)?.to_string();
        // kubectl reads this one as text and checks it after parsing: its words alone.
        if flag == "--request-timeout" {
            return Some(podterm_core::text::shown(&format!("error: {why}")));
        }
        return Some(podterm_core::text::shown(&format!(
            "Error: invalid argument {value:?} for {flag:?} flag: {why}\nSee '{help}' for usage."
        )));
    }
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let words = if let Some(long) = arg.strip_prefix("--") {
        let name = long.split('=').next().unwrap_or(long);
        format!("unknown flag: --{name}")
    } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
        let c = short.chars().next().unwrap_or('-');
        format!("unknown shorthand flag: '{c}' in -{short}")
    } else {
        return None;
    };
    // A misspelt flag: the one meant, where clap found it (kubectl says nothing of it).
    let similar = match e.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(s)) => format!("\nDid you mean {s}?"),
        _ => String::new(),
    };
    Some(podterm_core::text::shown(&format!(
        "Error: {words}{similar}\nSee '{help}' for usage."
    )))
}

/// The word of `args` that names the subcommand: the first that names one and is not the value
/// of a flag before it (`-n cp attach` is attach, in the namespace cp).
fn subcommand_word<'a>(cmd: &clap::Command, args: &'a [String]) -> Option<&'a String> {
    let takes_value = |word: &str| {
        let arg = if let Some(long) = word.strip_prefix("--") {
            cmd.get_arguments().find(|a| a.get_long() == Some(long))
        } else {
            let mut shorts = word.strip_prefix('-')?.chars();
            let (Some(c), None) = (shorts.next(), shorts.next()) else {
                return None;
            };
            cmd.get_arguments().find(|a| a.get_short() == Some(c))
        }?;
        Some(arg.get_action().takes_values() && !arg.is_require_equals_set())
    };
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word.starts_with('-') {
            if takes_value(word) == Some(true) {
                words.next();
            }
            continue;
        }
        if cmd.get_subcommands().any(|s| s.get_name() == word.as_str()) {
            return Some(word);
        }
    }
    None
}

/// A subcommand podterm does not have, in cobra's words (kubectl's), with the one likely meant.
fn unknown_command(e: &clap::Error, parent: &str) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let meant = match e.get(ContextKind::SuggestedSubcommand) {
        Some(ContextValue::String(s)) => format!("\n\nDid you mean this?\n\t{s}\n"),
        Some(ContextValue::Strings(s)) if !s.is_empty() => {
            format!("\n\nDid you mean this?\n\t{}\n", s.join("\n\t"))
        }
        _ => String::new(),
    };
    Some(podterm_core::text::shown(&format!(
        "Error: unknown command {word:?} for {parent:?}{meant}"
    )))
}

/// The first `-v LEVEL` (or `--v LEVEL`) among `args` whose level is not a number, in the words
/// clap's own refusal of `-v=exec` gets (`usage_words`), with the form that was likely meant.
fn not_a_level(args: &[String]) -> Option<String> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "-v" || word == "--v" {
            let value = words.next()?;
            if let Err(why) = value.parse::<u8>() {
                return Some(podterm_core::text::shown(&format!(
                    "Error: invalid argument {value:?} for \"--v\" flag: {why}\n-v takes a level before the command, as in 'podterm -v 6 exec POD'.\nSee 'podterm --help' for usage."
                )));
            }
        }
    }
    None
}

/// `--profile` with kubeconfig flags is refused, in any position. Not for `debug`, whose
/// `--profile` is kubectl debug's security profile (clap copies it to the global one too): it
/// checks its own connection.
fn global_check(cli: &Cli) -> Result<(), failure::Failure> {
    // --record's companions, before anything is asked of the cluster.
    match &cli.cmd {
        Cmd::Exec(a) => a.record.check()?,
        Cmd::Connect(a) => a.record.check()?,
        _ => {}
    }
    match cli.cmd {
        Cmd::Debug(_) => Ok(()),
        _ => cli.conn.check(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        parse_args(std::iter::once("podterm").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// `--as-group`, repeated at either level, keeps every group (kubectl sends them all).
    #[test]
    fn every_as_group_is_kept_wherever_it_stands() {
        let cli = parse(&[
            "--as-group=a",
            "exec",
            "shell",
            "--as",
            "x",
            "--as-group",
            "b",
            "--as-group=c",
            "--",
            "--as-group",
            "d",
        ]);
        assert_eq!(cli.conn.as_groups, ["a", "b", "c"]);
        assert_eq!(cli.conn.as_user.as_deref(), Some("x"));
    }

    /// A flag given twice takes its last value, as kubectl's do, wherever it stands.
    #[test]
    fn a_repeated_flag_takes_its_last_value() {
        let cli = parse(&[
            "-n",
            "a",
            "exec",
            "-n",
            "kube-system",
            "-n",
            "demo",
            "shell",
            "--",
            "true",
        ]);
        assert_eq!(cli.conn.namespace.as_deref(), Some("demo"));
        let Cmd::Logs(a) = parse(&["logs", "-c", "side", "-c", "main", "shell"]).cmd else {
            panic!("not logs");
        };
        assert_eq!(a.container.as_deref(), Some("main"));
        // What is after `--` is the command's, repeated or not.
        let Cmd::Exec(a) = parse(&["exec", "shell", "--", "echo", "-n", "x", "-n", "y"]).cmd else {
            panic!("not exec");
        };
        assert_eq!(a.command, ["echo", "-n", "x", "-n", "y"]);
    }

    /// Every boolean flag takes `=true` and `=false` (and Go's other spellings), short ones
    /// too, as kubectl's do; given bare it is true, and short ones still combine (`-it`).
    #[test]
    fn boolean_flags_take_a_value_as_kubectl_s_do() {
        let cli = parse(&[
            "--insecure-skip-tls-verify=true",
            "exec",
            "--stdin=true",
            "--tty=false",
            "-q=1",
            "shell",
            "--",
            "sh",
        ]);
        assert!(cli.conn.insecure_skip_tls_verify);
        let Cmd::Exec(a) = cli.cmd else {
            panic!("not exec")
        };
        assert!(a.stdin && !a.tty && a.quiet);
        let Cmd::Exec(a) = parse(&["exec", "-it", "shell"]).cmd else {
            panic!("not exec")
        };
        assert!(a.stdin && a.tty && !a.quiet);
        let Cmd::Exec(a) = parse(&["exec", "-i=false", "-t=F", "shell", "--", "true"]).cmd else {
            panic!("not exec")
        };
        assert!(!a.stdin && !a.tty);
        // A bare boolean flag takes no separate value: `--stdin false` is the flag, then a pod.
        let Cmd::Exec(a) = parse(&["exec", "--stdin", "false"]).cmd else {
            panic!("not exec")
        };
        assert!(a.stdin);
        assert_eq!(a.target.as_deref(), Some("false"));
        let Cmd::Logs(a) = parse(&[
            "logs",
            "--timestamps=true",
            "--prefix=false",
            "-f=false",
            "shell",
        ])
        .cmd
        else {
            panic!("not logs")
        };
        assert!(a.timestamps && !a.prefix && !a.follow);
        let Cmd::Cp(a) = parse(&["cp", "--no-preserve=true", "a", "shell:/tmp/a"]).cmd else {
            panic!("not cp")
        };
        assert!(a.no_preserve);
        let Cmd::Attach(a) = parse(&["attach", "-i=true", "-t", "shell"]).cmd else {
            panic!("not attach")
        };
        assert!(a.stdin && a.tty);
        let Cmd::Connect(a) = parse(&["connect", "-T=false", "--quiet=true", "fav"]).cmd else {
            panic!("not connect")
        };
        assert!(!a.no_tty && a.quiet);
    }

    /// A yes-or-no flag given `=false` is not given: the flags that only go with it are
    /// refused, and the ones it excludes taken, on the values (clap's own checks count a
    /// flag given `=false` as given).
    #[test]
    fn a_flag_given_false_is_not_given() {
        let cli = parse(&["exec", "--record-input=false", "shell", "--", "true"]);
        assert!(global_check(&cli).is_ok());
        let cli = parse(&["exec", "--record-input", "shell", "--", "true"]);
        let e = global_check(&cli).expect_err("refused");
        assert_eq!(
            e.quoted(),
            "--record-input goes with --record FILE: add --record FILE, or leave --record-input out"
        );
        let cli = parse(&["connect", "--record-overwrite=1", "fav"]);
        assert!(global_check(&cli).is_err());
        // Parsed, then checked by exec itself (tests/cli/execall.rs runs them).
        parse(&[
            "exec",
            "--all=false",
            "--pod-running-timeout=5s",
            "deploy/web",
            "--",
            "true",
        ]);
        parse(&[
            "exec",
            "--all=false",
            "--max-concurrency",
            "3",
            "shell",
            "--",
            "true",
        ]);
    }

    /// exec's help says --max-concurrency's default as the code has it.
    #[test]
    fn max_concurrency_help_says_the_default() {
        use clap::CommandFactory;
        let help = Cli::command()
            .find_subcommand_mut("exec")
            .expect("exec")
            .render_help()
            .to_string();
        let said = format!("(default: {})", podterm_core::fanout::DEFAULT_CONCURRENCY);
        assert!(help.contains(&said), "{help}");
    }

    #[test]
    fn booleans_are_read_as_go_reads_them() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(go_bool(f), Ok(false), "{f}");
        }
        assert!(go_bool("yes").is_err());
    }

    /// An unknown flag is said as kubectl says it, with no tip to put it after `--`.
    #[test]
    fn unknown_flags_are_said_as_kubectl_says_them() {
        let said = |args: &[&str]| {
            let e = parse_args(std::iter::once("podterm").chain(args.iter().copied()))
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            usage_words(&e, args.iter().map(|a| a.to_string()))
        };
        assert_eq!(
            said(&["debug", "pair", "--image", "busybox", "--filename", "x"]).as_deref(),
            Some("Error: unknown flag: --filename\nSee 'podterm debug --help' for usage.")
        );
        // A value refused: kubectl's words, the value quoted as Go quotes it.
        assert_eq!(
            said(&["debug", "pair", "--image", "busybox", "--env", "a=\"x\"y=1,b=2"]).as_deref(),
            Some("Error: invalid argument \"a=\\\"x\\\"y=1,b=2\" for \"--env\" flag: parse error on line 1, column 3: bare \" in non-quoted-field\nSee 'podterm debug --help' for usage.")
        );
        assert_eq!(
            said(&["debug", "pair", "--attach=maybe"]).as_deref(),
            Some("Error: invalid argument \"maybe\" for \"--attach\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\nSee 'podterm debug --help' for usage.")
        );
        // A boolean flag's value refused, named with its shorthand as kubectl names it.
        assert_eq!(
            said(&["exec", "-i=maybe", "shell", "--", "true"]).as_deref(),
            Some("Error: invalid argument \"maybe\" for \"-i, --stdin\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\nSee 'podterm exec --help' for usage.")
        );
        assert_eq!(
            said(&["--insecure-skip-tls-verify=yes", "exec", "shell"]).as_deref(),
            Some("Error: invalid argument \"yes\" for \"--insecure-skip-tls-verify\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax\nSee 'podterm exec --help' for usage.")
        );
        assert_eq!(
            said(&["-n", "demo", "exec", "shell", "--bogus=1", "--", "true"]).as_deref(),
            Some("Error: unknown flag: --bogus\nSee 'podterm exec --help' for usage.")
        );
        assert_eq!(
            said(&["logs", "-Z", "shell"]).as_deref(),
            Some("Error: unknown shorthand flag: 'Z' in -Z\nSee 'podterm logs --help' for usage.")
        );
        // `-v` given no level before the subcommand: its value is what is wrong, not the
        // subcommand clap then looked for.
        assert_eq!(
            said(&["-v", "exec", "shell", "--", "true"]).as_deref(),
            Some("Error: invalid argument \"exec\" for \"--v\" flag: invalid digit found in string\n-v takes a level before the command, as in 'podterm -v 6 exec POD'.\nSee 'podterm --help' for usage.")
        );
        assert_eq!(
            said(&["--v", "logs", "shell"]).as_deref(),
            Some("Error: invalid argument \"logs\" for \"--v\" flag: invalid digit found in string\n-v takes a level before the command, as in 'podterm -v 6 exec POD'.\nSee 'podterm --help' for usage.")
        );
        // --request-timeout's refusal, as kubectl checks it after parsing (a negative value
        // given apart from the flag too).
        for args in [
            &["exec", "--request-timeout", "-1", "shell", "--", "true"][..],
            &["--request-timeout=abc", "exec", "shell"],
        ] {
            assert_eq!(
                said(args).as_deref(),
                Some("error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)"),
                "{args:?}"
            );
        }
        // A command without `--`, a flag with no value, a missing argument, an unknown
        // subcommand: kubectl's words.
        assert_eq!(
            said(&["exec", "shell", "echo", "ok"]).as_deref(),
            Some("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'podterm exec -h' for help and examples")
        );
        assert_eq!(
            said(&["exec", "-n"]).as_deref(),
            Some("Error: flag needs an argument: 'n' in -n\nSee 'podterm exec --help' for usage.")
        );
        assert_eq!(
            said(&["logs", "shell", "--tail"]).as_deref(),
            Some("Error: flag needs an argument: --tail\nSee 'podterm logs --help' for usage.")
        );
        assert_eq!(
            said(&["attach"]).as_deref(),
            Some("error: at least 1 argument is required for attach")
        );
        assert_eq!(
            said(&["cp", "a"]).as_deref(),
            Some("error: source and destination are required")
        );
        assert_eq!(
            said(&["bogus-sub"]).as_deref(),
            Some("Error: unknown command \"bogus-sub\" for \"podterm\"")
        );
        assert_eq!(
            said(&["favourite", "lst"]).as_deref(),
            Some("Error: unknown command \"lst\" for \"podterm favourite\"\n\nDid you mean this?\n\tlist\n")
        );
        assert_eq!(
            said(&["exe", "shell"]).as_deref(),
            Some("Error: unknown command \"exe\" for \"podterm\"\n\nDid you mean this?\n\texec\n")
        );
        // A flag's value that names a subcommand is not the subcommand.
        assert_eq!(
            said(&["-n", "cp", "attach", "--bogus"]).as_deref(),
            Some("Error: unknown flag: --bogus\nSee 'podterm attach --help' for usage.")
        );
        // A misspelt flag: the one meant.
        assert_eq!(
            said(&["exec", "--contianer", "main", "shell"]).as_deref(),
            Some("Error: unknown flag: --contianer\nDid you mean --container?\nSee 'podterm exec --help' for usage.")
        );
        // Not a flag: clap's own words.
        assert_eq!(said(&["logs", "shell", "main", "extra"]), None);
    }

    /// `--help` of every subcommand says what each argument is (an empty line beside `<NAME>`
    /// or `-c` says nothing).
    #[test]
    fn every_argument_says_what_it_is() {
        use clap::CommandFactory;
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let builtin = matches!(a.get_id().as_str(), "help" | "version");
                if !builtin
                    && !a.is_hide_set()
                    && a.get_help().is_none()
                    && a.get_long_help().is_none()
                {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "podterm", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }

    #[test]
    fn connection_flags_are_taken_before_and_after_the_subcommand() {
        let flags = [
            "--kubeconfig=/k",
            "--context=c",
            "-n=ns",
            "--cluster=cl",
            "--user=u",
            "--token=t",
            "-s=https://s",
            "--certificate-authority=/ca",
            "--client-certificate=/cc",
            "--client-key=/ck",
            "--insecure-skip-tls-verify",
            "--tls-server-name=tn",
            "--request-timeout=5",
        ];
        let before: Vec<&str> = flags.iter().copied().chain(["exec", "pod"]).collect();
        let after: Vec<&str> = ["exec", "pod"].into_iter().chain(flags).collect();
        for args in [before, after] {
            let c = parse(&args).conn;
            assert_eq!(c.kubeconfig.as_deref(), Some(std::path::Path::new("/k")));
            assert_eq!(c.context.as_deref(), Some("c"));
            assert_eq!(c.namespace.as_deref(), Some("ns"));
            assert_eq!(c.cluster.as_deref(), Some("cl"));
            assert_eq!(c.user.as_deref(), Some("u"));
            assert_eq!(c.token.as_deref(), Some("t"));
            assert_eq!(c.server.as_deref(), Some("https://s"));
            assert!(c.certificate_authority.is_some());
            assert!(c.client_certificate.is_some() && c.client_key.is_some());
            assert!(c.insecure_skip_tls_verify);
            assert_eq!(c.tls_server_name.as_deref(), Some("tn"));
            assert_eq!(c.request_timeout(), Some(std::time::Duration::from_secs(5)));
        }
        // Every subcommand takes them in both places.
        for args in [
            &["--profile", "p", "attach", "pod"][..],
            &["cp", "a", "pod:/b", "--profile", "p"],
            &["--profile", "p", "cp", "a", "pod:/b"],
            &["attach", "pod", "--profile", "p"],
            &["--profile", "p", "connect", "fav"],
            &["connect", "fav", "--profile", "p"],
            &["--profile", "p", "favourite", "add", "f", "deploy/web"],
            &["favourite", "add", "f", "deploy/web", "--profile", "p"],
            &["favourite", "--profile", "p", "list"],
            &["--profile", "p", "profile", "list"],
            &["profile", "show", "x", "--profile", "p"],
        ] {
            assert_eq!(parse(args).conn.profile.as_deref(), Some("p"), "{args:?}");
        }
        let c = parse(&["--context", "c", "profile", "import", "--kubeconfig", "/k"]).conn;
        assert_eq!(c.context.as_deref(), Some("c"));
        assert!(c.kubeconfig.is_some());
    }

    /// `-n "$NS"` with NS unset: an empty value is no flag, as kubectl reads it.
    #[test]
    fn empty_connection_flags_count_as_not_given() {
        let c = parse(&[
            "-n",
            "",
            "--context=",
            "--kubeconfig",
            "",
            "--cluster",
            "",
            "--user",
            "",
            "-s",
            "",
            "--token",
            "",
            "--as",
            "",
            "--as-uid",
            "",
            "--tls-server-name",
            "",
            "--certificate-authority",
            "",
            "--request-timeout",
            "",
            "exec",
            "shell",
            "--",
            "true",
        ])
        .conn;
        assert_eq!(
            c.request_timeout(),
            Some(podterm_core::exec::REQUEST_TIMEOUT)
        );
        assert_eq!(c.namespace, None);
        assert_eq!(c.context, None);
        assert_eq!(c.kubeconfig, None);
        assert_eq!((c.cluster, c.user, c.server), (None, None, None));
        assert!(c.token.is_none() && c.as_user.is_none() && c.as_uid.is_none());
        assert_eq!(c.tls_server_name, None);
        assert_eq!(c.certificate_authority, None);
        let c = parse(&["-n", "demo", "exec", "shell", "-n", "", "--", "true"]).conn;
        assert_eq!(c.namespace, None, "the last -n, empty, wins");
    }

    #[test]
    fn after_the_double_dash_everything_is_the_commands() {
        let cli = parse(&["exec", "pod", "--", "ls", "-n", "x", "--context", "y", "-s"]);
        assert_eq!(cli.conn.namespace, None);
        assert_eq!(cli.conn.context, None);
        let Cmd::Exec(a) = cli.cmd else {
            panic!("not exec")
        };
        assert_eq!(a.command, ["ls", "-n", "x", "--context", "y", "-s"]);
    }

    #[test]
    fn a_profile_with_kubeconfig_flags_is_refused() {
        for flag in ["--context=c", "--token=t", "--server=https://s", "--user=u"] {
            for args in [
                ["--profile", "p", "exec", "pod", flag],
                ["exec", "--profile", "p", "pod", flag],
                [flag, "exec", "pod", "--profile", "p"],
            ] {
                assert!(parse(&args).conn.check().is_err(), "{args:?}");
            }
        }
        assert!(parse(&["--profile", "p", "-n", "x", "exec", "pod"])
            .conn
            .check()
            .is_ok());
    }

    /// kubectl's `debug` has a `--profile` of its own (a debugging profile); kubectl's global
    /// `--profile` (profiling) is shadowed by it in either position: `kubectl --profile=bogus
    /// debug ...` and `kubectl debug --profile=bogus ...` both answer "unknown profile: bogus",
    /// debug's error. A subcommand of ours with its own `--profile` gets the same: clap does not
    /// give it the global one, and a value before the subcommand reaches the subcommand's.
    #[test]
    fn a_subcommands_own_profile_shadows_the_global_one_in_both_positions() {
        // As kubectl: `debug`'s own --profile (the security profile) wins in either position.
        for args in [
            &["debug", "pod", "--profile", "general"][..],
            &["--profile", "general", "debug", "pod"],
        ] {
            let cli = parse(args);
            let Cmd::Debug(d) = &cli.cmd else {
                panic!("{args:?}: not debug");
            };
            assert_eq!(d.profile, "general", "{args:?}");
            // clap copies it to the global --profile too; debug's connection never reads that.
            assert_eq!(d.conn(&cli.conn).profile, None, "{args:?}");
        }
        // So a kubeconfig flag beside it is not "--profile with --context".
        for args in [
            &["debug", "pod", "--profile", "general", "--context", "c"][..],
            &["--context", "c", "--profile", "general", "debug", "pod"],
        ] {
            let cli = parse(args);
            let Cmd::Debug(d) = &cli.cmd else {
                panic!("{args:?}: not debug");
            };
            assert!(global_check(&cli).is_ok(), "{args:?}");
            assert!(d.conn(&cli.conn).check().is_ok(), "{args:?}");
        }
        // And the kubeconfig flags still mean kubectl's there, in both positions.
        for args in [
            &["debug", "pod", "--context", "c"][..],
            &["--context", "c", "debug", "pod"],
        ] {
            let cli = parse(args);
            assert!(matches!(cli.cmd, Cmd::Debug(_)), "{args:?}");
            assert_eq!(cli.conn.context.as_deref(), Some("c"), "{args:?}");
        }
    }
}
