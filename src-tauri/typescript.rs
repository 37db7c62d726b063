//! The TypeScript side of the IPC contract, generated from the Rust types (ts-rs) and from the
//! command table below into `ui/src/ipc/generated/`. A run that finds the files out of date
//! rewrites them and fails, so CI catches a contract change that was not committed.
//!
//! Also checks that capabilities/default.json allows exactly the app's commands.

use crate::ipc::{
    AppRequest, FavouriteSummary, OpenSessionRequest, PodEvent, PodEventType, PodSummary,
    ProfileDetails, ProfileInput, ProfileSummary, ResolvedFavourite, SessionState, WatchStatus,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generated_dir() -> PathBuf {
    root().join("ui/src/ipc/generated")
}

/// Command name, its arguments (JS key, TS type), and what it resolves to.
type CommandSig = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// The commands as the webview calls them. Argument keys are camelCase (Tauri converts them
/// to the Rust parameters' snake_case).
const SIGNATURES: &[CommandSig] = &[
    ("list_profiles", &[], "ProfileSummary[]"),
    (
        "import_kubeconfig",
        &[
            ("path", "string | null"),
            ("context", "string | null"),
            ("all", "boolean"),
        ],
        "ProfileSummary[]",
    ),
    ("profile_details", &[("name", "string")], "ProfileDetails"),
    (
        "save_profile",
        &[("input", "ProfileInput")],
        "ProfileSummary",
    ),
    ("pick_kubeconfig", &[], "string | null"),
    ("delete_profile", &[("name", "string")], "void"),
    ("demo_profile", &[], "ProfileSummary"),
    ("list_namespaces", &[("profile", "string")], "string[]"),
    (
        "watch_pods",
        &[
            ("profile", "string"),
            ("namespace", "string"),
            ("onEvent", "Channel<PodEvent>"),
            ("onStatus", "Channel<WatchStatus>"),
        ],
        "number",
    ),
    ("stop_watch", &[("id", "number")], "void"),
    (
        "open_session",
        &[
            ("req", "OpenSessionRequest"),
            ("onOutput", "Channel<ArrayBuffer>"),
            ("onState", "Channel<SessionState>"),
        ],
        "number",
    ),
    (
        "send_input",
        &[("id", "number"), ("data", "string")],
        "void",
    ),
    (
        "resize",
        &[("id", "number"), ("cols", "number"), ("rows", "number")],
        "void",
    ),
    ("ack", &[("id", "number"), ("bytes", "number")], "void"),
    ("close_session", &[("id", "number")], "void"),
    ("list_favourites", &[], "FavouriteSummary[]"),
    (
        "add_favourite",
        &[
            ("profile", "string"),
            ("namespace", "string"),
            ("pod", "string"),
            ("container", "string | null"),
        ],
        "FavouriteSummary",
    ),
    (
        "rename_favourite",
        &[("name", "string"), ("newName", "string")],
        "void",
    ),
    ("delete_favourite", &[("name", "string")], "void"),
    ("reorder_favourites", &[("names", "string[]")], "void"),
    (
        "resolve_favourite",
        &[("name", "string")],
        "ResolvedFavourite",
    ),
    (
        "watch_requests",
        &[("onRequest", "Channel<AppRequest>")],
        "void",
    ),
    ("open_url", &[("url", "string")], "void"),
];

const TYPES: &[&str] = &[
    "AppRequest",
    "FavouriteSummary",
    "ResolvedFavourite",
    "OpenSessionRequest",
    "PodEvent",
    "PodEventType",
    "PodSummary",
    "ProfileSummary",
    "SessionState",
    "WatchStatus",
    "ProfileDetails",
    "ProfileInput",
];

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

fn commands_ts() -> String {
    let mut s = String::from(
        "// Generated from src-tauri (typescript.rs) by `cargo test -p podterm-desktop`: do not edit.\n\
         // The app's IPC commands, typed. Output chunks arrive as ArrayBuffer (raw bytes):\n\
         // acknowledge each one's byteLength with `ack` once xterm has written it.\n\
         import { invoke } from \"@tauri-apps/api/core\";\n\
         import type { Channel } from \"@tauri-apps/api/core\";\n",
    );
    for t in [
        "AppRequest",
        "FavouriteSummary",
        "OpenSessionRequest",
        "PodEvent",
        "ProfileSummary",
        "ResolvedFavourite",
        "SessionState",
        "WatchStatus",
        "ProfileDetails",
        "ProfileInput",
    ] {
        s.push_str(&format!("import type {{ {t} }} from \"./{t}\";\n"));
    }
    s.push_str("\n/** Every command the app allows (capabilities/default.json). */\nexport const COMMANDS = [\n");
    for (name, _, _) in SIGNATURES {
        s.push_str(&format!("  \"{name}\",\n"));
    }
    s.push_str("] as const;\n");
    for (name, args, ret) in SIGNATURES {
        let params: Vec<String> = args.iter().map(|(k, t)| format!("{k}: {t}")).collect();
        let keys: Vec<&str> = args.iter().map(|(k, _)| *k).collect();
        let call = if keys.is_empty() {
            format!("invoke<{ret}>(\"{name}\")")
        } else {
            format!("invoke<{ret}>(\"{name}\", {{ {} }})", keys.join(", "))
        };
        s.push_str(&format!(
            "\nexport function {}({}): Promise<{ret}> {{\n  return {call};\n}}\n",
            camel(name),
            params.join(", "),
        ));
    }
    s
}

fn index_ts() -> String {
    let mut s = String::from(
        "// Generated from src-tauri (typescript.rs) by `cargo test -p podterm-desktop`: do not edit.\n",
    );
    for t in TYPES {
        s.push_str(&format!("export type {{ {t} }} from \"./{t}\";\n"));
    }
    s.push_str("export * from \"./commands\";\n");
    s
}

fn files() -> BTreeMap<String, String> {
    let cfg = Config::new();
    let mut files = BTreeMap::new();
    let mut add = |name: &str, ts: Result<String, ts_rs::ExportError>| {
        let ts = ts.unwrap_or_else(|e| panic!("ts-rs cannot export {name}: {e}"));
        files.insert(format!("{name}.ts"), ts);
    };
    add(
        "OpenSessionRequest",
        OpenSessionRequest::export_to_string(&cfg),
    );
    add("PodEvent", PodEvent::export_to_string(&cfg));
    add("WatchStatus", WatchStatus::export_to_string(&cfg));
    add("ProfileDetails", ProfileDetails::export_to_string(&cfg));
    add("ProfileInput", ProfileInput::export_to_string(&cfg));
    add("AppRequest", AppRequest::export_to_string(&cfg));
    add("FavouriteSummary", FavouriteSummary::export_to_string(&cfg));
    add(
        "ResolvedFavourite",
        ResolvedFavourite::export_to_string(&cfg),
    );
    add("PodEventType", PodEventType::export_to_string(&cfg));
    add("PodSummary", PodSummary::export_to_string(&cfg));
    add("ProfileSummary", ProfileSummary::export_to_string(&cfg));
    add("SessionState", SessionState::export_to_string(&cfg));
    files.insert("commands.ts".into(), commands_ts());
    files.insert("index.ts".into(), index_ts());
    files
}

#[test]
fn generated_typescript_is_current() {
    let dir = generated_dir();
    let files = files();
    let mut stale = Vec::new();
    for (name, content) in &files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            std::fs::create_dir_all(&dir).expect("create ui/src/ipc/generated");
            std::fs::write(&path, content).expect("write generated TypeScript");
            stale.push(name.clone());
        }
    }
    let extra: Vec<String> = std::fs::read_dir(&dir)
        .expect("read ui/src/ipc/generated")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !files.contains_key(n))
        .collect();
    assert!(
        extra.is_empty(),
        "ui/src/ipc/generated/ holds files this test does not generate: {extra:?}"
    );
    assert!(
        stale.is_empty(),
        "regenerated {stale:?} in ui/src/ipc/generated/ (the IPC types changed): review and commit them"
    );
}

#[test]
fn the_command_table_is_the_app_s_commands() {
    let names: Vec<&str> = SIGNATURES.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(names, crate::COMMANDS);
    let ts = commands_ts();
    assert!(ts.contains("export function openSession(req: OpenSessionRequest, onOutput: Channel<ArrayBuffer>, onState: Channel<SessionState>): Promise<number> {\n  return invoke<number>(\"open_session\", { req, onOutput, onState });\n}"), "{ts}");
}

#[test]
fn session_state_is_a_tagged_union() {
    let ts = SessionState::decl(&Config::new());
    for part in [
        "\"state\": \"connecting\"",
        "\"state\": \"exited\", code: number",
        "\"state\": \"lost\", reason: string",
    ] {
        assert!(ts.contains(part), "{part} missing in {ts}");
    }
}

#[test]
fn capabilities_allow_exactly_the_commands() {
    let text = std::fs::read_to_string(root().join("capabilities/default.json"))
        .expect("capabilities/default.json");
    let cap: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("a permission name").to_string())
        .collect();
    granted.sort();
    let mut wanted: Vec<String> = crate::COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    wanted.sort();
    assert_eq!(granted, wanted);
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
}
