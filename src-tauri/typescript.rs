//! The webview's side of the IPC contract, generated from src-tauri/contract.rs and the Rust
//! types (ts-rs) into `ui/src/ipc/generated/`: the payload types, the `Commands` interface
//! (the UI and its in-page mock implement it, so a mock that drifts fails the type check), the
//! Tauri client, the error type and the flow-control constants. capabilities/default.json is
//! made from the same list. A run that finds a file out of date rewrites it and fails, so CI
//! catches a contract change that was not committed.

use crate::commands::Raw;
use crate::error::{CommandError, CrashingPod, ErrorKind};
use crate::ipc::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tauri::ipc::Channel;
use ts_rs::{Config, TS};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generated_dir() -> PathBuf {
    root().join("ui/src/ipc/generated")
}

/// How a contract type looks in TypeScript.
trait Ts {
    fn ts() -> String;
    /// As a command's argument (a channel is a callback in the `Commands` interface).
    fn arg() -> Arg {
        Arg::Value(Self::ts())
    }
}

enum Arg {
    Value(String),
    /// A channel of messages of this TypeScript type.
    Channel(String),
}

macro_rules! ts_as {
    ($($t:ty => $ts:expr),* $(,)?) => { $(impl Ts for $t { fn ts() -> String { $ts.to_string() } })* };
}

ts_as!(
    String => "string", bool => "boolean", u16 => "number", u32 => "number", i32 => "number",
    u64 => "number",
    () => "void", Raw => "Uint8Array",
);

/// The payload types, each exported to its own file and named as in Rust.
macro_rules! payloads {
    ($($t:ident),* $(,)?) => {
        $(impl Ts for $t { fn ts() -> String { stringify!($t).to_string() } })*
        fn payload_files(cfg: &Config) -> Vec<(&'static str, String)> {
            vec![$((stringify!($t), $t::export_to_string(cfg).unwrap_or_else(|e| panic!("ts-rs cannot export {}: {e}", stringify!($t))))),*]
        }
    };
}

payloads!(
    AppRequest,
    AppSettings,
    FavouriteSummary,
    OpenSessionRequest,
    TerminalRequest,
    DebugRequest,
    DebugPlan,
    CopyRequest,
    CopyPlan,
    MadeCopy,
    Deleted,
    PodChange,
    ChangeKind,
    PodSummary,
    PodOwner,
    DeclaredPort,
    ProfileDetails,
    ManualProfile,
    ProfileSummary,
    ProfileColour,
    RecentSession,
    SavedTab,
    SavedTabs,
    TabView,
    RestoredTab,
    RestoredTabs,
    ResolvedFavourite,
    SessionState,
    OpenLogsRequest,
    LogsRequest,
    LogsState,
    PodDetails,
    PodCondition,
    ContainerInfo,
    PodEvent,
    WatchStatus,
    TransferTarget,
    TransferDirection,
    TransferState,
    TransferInfo,
    ForwardRequest,
    ForwardState,
    ForwardInfo,
    ForwardService,
    ServiceList,
    ServiceSummary,
    ServicePortSummary,
    RecordingEntry,
    RecordingEvent,
    RecordingPage,
    ErrorKind,
    CrashingPod,
    CommandError,
);

impl<T: Ts> Ts for Option<T> {
    fn ts() -> String {
        format!("{} | null", T::ts())
    }
}

impl<T: Ts> Ts for Vec<T> {
    fn ts() -> String {
        format!("{}[]", T::ts())
    }
}

impl<T: Ts + tauri::ipc::IpcResponse> Ts for Channel<T> {
    fn ts() -> String {
        format!("Channel<{}>", T::ts())
    }
    fn arg() -> Arg {
        Arg::Channel(T::ts())
    }
}

/// One command of the contract.
struct Command {
    name: &'static str,
    docs: Vec<String>,
    args: Vec<(&'static str, Arg)>,
    ret: String,
}

/// The text of a `doc = "..."` attribute.
fn doc_text(meta: &str) -> String {
    let (Some(a), Some(b)) = (meta.find('"'), meta.rfind('"')) else {
        return String::new();
    };
    meta[a + 1..b.max(a + 1)]
        .replace("\\\"", "\"")
        .trim()
        .to_string()
}

macro_rules! signatures {
    ($( $(#[$doc:meta])* $mode:ident $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        vec![$(Command {
            name: stringify!($name),
            docs: vec![$(doc_text(stringify!($doc))),*],
            args: vec![$((stringify!($arg), <$ty as Ts>::arg())),*],
            ret: <$ret as Ts>::ts(),
        }),*]
    };
}

fn contract() -> Vec<Command> {
    with_commands!(signatures)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

const HEADER: &str =
    "// Generated from src-tauri/contract.rs by `cargo test -p podterm-desktop`: do not edit.\n";

/// Whether `word` stands as a whole word in `text`.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn commands_ts(commands: &[Command], types: &[&str]) -> String {
    let body = commands_body(commands);
    let mut s = String::from(HEADER);
    s.push_str(
        "// The app's IPC commands, typed. A command that fails rejects with a CommandError\n\
         // ({ kind, message, hint }): branch on `kind`, show `message` and `hint`.\n\
         import { Channel, invoke } from \"@tauri-apps/api/core\";\n\
         import { toBytes } from \"../bytes\";\n",
    );
    for t in types.iter().filter(|t| has_word(&body, t)) {
        s.push_str(&format!("import type {{ {t} }} from \"./{t}\";\n"));
    }
    s.push_str(&body);
    s
}

fn commands_body(commands: &[Command]) -> String {
    let mut s = String::new();
    s.push_str("\n/** Every command the app allows (capabilities/default.json). */\nexport const COMMANDS = [\n");
    for c in commands {
        s.push_str(&format!("  \"{}\",\n", c.name));
    }
    s.push_str("] as const;\n\n");
    s.push_str("/** The app's commands as the UI calls them (the in-page mock implements them too). */\nexport interface Commands {\n");
    for c in commands {
        if !c.docs.is_empty() {
            s.push_str("  /**\n");
            for d in &c.docs {
                s.push_str(&format!("   * {d}\n").replace("* \n", "*\n"));
            }
            s.push_str("   */\n");
        }
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(k, a)| match a {
                Arg::Value(t) => format!("{}: {t}", camel(k)),
                Arg::Channel(t) => format!("{}: (message: {t}) => void", camel(k)),
            })
            .collect();
        s.push_str(&format!(
            "  {}({}): Promise<{}>;\n",
            camel(c.name),
            params.join(", "),
            c.ret
        ));
    }
    s.push_str("}\n\n/** The commands over Tauri's IPC. */\nexport function tauriCommands(): Commands {\n  return {\n");
    for c in commands {
        let names: Vec<String> = c.args.iter().map(|(k, _)| camel(k)).collect();
        let fields: Vec<String> = c
            .args
            .iter()
            .map(|(k, a)| {
                let k = camel(k);
                match a {
                    Arg::Value(_) => k,
                    Arg::Channel(t) if t == "Uint8Array" => {
                        format!("{k}: new Channel<unknown>((m) => {k}(toBytes(m)))")
                    }
                    Arg::Channel(t) => format!("{k}: new Channel<{t}>({k})"),
                }
            })
            .collect();
        let call = if fields.is_empty() {
            format!("invoke<{}>(\"{}\")", c.ret, c.name)
        } else {
            format!(
                "invoke<{}>(\"{}\", {{ {} }})",
                c.ret,
                c.name,
                fields.join(", ")
            )
        };
        s.push_str(&format!(
            "    {}: ({}) => {call},\n",
            camel(c.name),
            names.join(", ")
        ));
    }
    s.push_str("  };\n}\n");
    s
}

fn index_ts(types: &[&str]) -> String {
    let mut s = String::from(HEADER);
    for t in types {
        s.push_str(&format!("export type {{ {t} }} from \"./{t}\";\n"));
    }
    s.push_str(
        "export * from \"./commands\";\nexport * from \"./flow\";\nexport * from \"./limits\";\n",
    );
    s
}

/// The flow-control constants both halves obey (podterm_core::flow), with their rules.
fn flow_ts() -> String {
    use podterm_core::flow;
    format!(
        "// Generated from podterm_core::flow by `cargo test -p podterm-desktop`: do not edit.\n\
         /** Unacknowledged output bytes at which the engine stops sending. */\n\
         export const HIGH_WATER = {};\n\
         /** Sending resumes once acknowledgements bring the unacknowledged bytes below this. */\n\
         export const LOW_WATER = {};\n\
         /** The largest output message the engine sends. */\n\
         export const MAX_BATCH = {};\n\
         /** The terminal acknowledges once this many written bytes are pending (at most LOW_WATER,\n * \
         or output could stall with acknowledgements held back). */\n\
         export const ACK_SIZE = {};\n\
         /** …or once output has been quiet this long (ms), so a prompt never waits. */\n\
         export const ACK_IDLE_MS = {};\n\
         /** …and a message of at least this many bytes as soon as it is written (a small window's\n * \
         batches are smaller than ACK_SIZE, and each must come back once drawn). */\n\
         export const ACK_MESSAGE = {};\n\
         /** Acks of fewer bytes do not measure the tab's draw rate (an echo's parse time is under\n * \
         the clock's step); at most the smallest paced batch. */\n\
         export const DRAW_MIN_ACK = {};\n",
        flow::HIGH_WATER,
        flow::LOW_WATER,
        flow::MAX_BATCH,
        flow::ACK_SIZE,
        flow::ACK_IDLE.as_millis(),
        flow::ACK_MESSAGE,
        flow::DRAW_MIN_ACK,
    )
}

/// The bounds of settings the UI offers (podterm_core::settings), so its choices never leave them.
fn limits_ts() -> String {
    use podterm_core::settings;
    format!(
        "// Generated from podterm_core::settings by `cargo test -p podterm-desktop`: do not edit.\n\
         /** Lines a Logs view keeps until the user chooses (settings.json's `logLines`). */\n\
         export const DEFAULT_LOG_LINES = {};\n\
         /** The fewest and the most lines a Logs view may keep. */\n\
         export const MIN_LOG_LINES = {};\n\
         export const MAX_LOG_LINES = {};\n",
        settings::DEFAULT_LOG_LINES,
        settings::MIN_LOG_LINES,
        settings::MAX_LOG_LINES,
    )
}

fn capabilities_json(commands: &[Command]) -> String {
    let permissions: Vec<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.name.replace('_', "-")))
        .collect();
    let cap = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "default",
        "description": "The main window may call Podterm's own commands and nothing else (no core, window or event APIs). Generated from src-tauri/contract.rs by `cargo test -p podterm-desktop`.",
        "windows": ["main"],
        "permissions": permissions,
    });
    let mut text = serde_json::to_string_pretty(&cap).unwrap_or_default();
    text.push('\n');
    text
}

fn files() -> BTreeMap<PathBuf, String> {
    let cfg = Config::new();
    let commands = contract();
    let payloads = payload_files(&cfg);
    let types: Vec<&str> = payloads.iter().map(|(n, _)| *n).collect();
    let dir = generated_dir();
    let mut files = BTreeMap::new();
    for (name, ts) in &payloads {
        files.insert(dir.join(format!("{name}.ts")), ts.clone());
    }
    files.insert(dir.join("commands.ts"), commands_ts(&commands, &types));
    files.insert(dir.join("index.ts"), index_ts(&types));
    files.insert(dir.join("flow.ts"), flow_ts());
    files.insert(dir.join("limits.ts"), limits_ts());
    files.insert(
        root().join("capabilities/default.json"),
        capabilities_json(&commands),
    );
    files
}

#[test]
fn generated_files_are_current() {
    let files = files();
    let mut stale = Vec::new();
    for (path, content) in &files {
        if std::fs::read_to_string(path).ok().as_deref() != Some(content.as_str()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("create the generated folder");
            }
            std::fs::write(path, content).expect("write a generated file");
            stale.push(
                path.strip_prefix(root())
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            );
        }
    }
    let extra: Vec<String> = std::fs::read_dir(generated_dir())
        .expect("read ui/src/ipc/generated")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| !files.contains_key(p))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        extra.is_empty(),
        "ui/src/ipc/generated/ holds files this test does not generate: {extra:?}"
    );
    assert!(
        stale.is_empty(),
        "regenerated {stale:?} (the IPC contract changed): review and commit them"
    );
}

#[test]
fn the_contract_is_the_app_s_commands() {
    let names: Vec<&str> = contract().iter().map(|c| c.name).collect();
    assert_eq!(names, crate::COMMANDS);
    let types: Vec<&str> = vec![];
    let ts = commands_ts(&contract(), &types);
    assert!(
        ts.contains("  openSession(req: OpenSessionRequest, onOutput: (message: Uint8Array) => void, onState: (message: SessionState) => void): Promise<number>;\n"),
        "{ts}"
    );
    assert!(
        ts.contains("    openSession: (req, onOutput, onState) => invoke<number>(\"open_session\", { req, onOutput: new Channel<unknown>((m) => onOutput(toBytes(m))), onState: new Channel<SessionState>(onState) }),\n"),
        "{ts}"
    );
    assert!(
        ts.contains("    renameFavourite: (name, newName) => invoke<void>(\"rename_favourite\", { name, newName }),\n"),
        "{ts}"
    );
}

#[test]
fn session_state_is_a_tagged_union_with_the_output_count() {
    let ts = SessionState::decl(&Config::new());
    for part in [
        "\"state\": \"connecting\"",
        "\"state\": \"exited\", code: number, outputBytes: number",
        "\"state\": \"lost\", reason: string, outputBytes: number",
    ] {
        assert!(ts.contains(part), "{part} missing in {ts}");
    }
}

#[test]
fn command_errors_have_kind_message_and_hint() {
    let ts = CommandError::decl(&Config::new());
    assert!(
        ts.contains("kind: ErrorKind, message: string, hint: string | null"),
        "{ts}"
    );
}
