// Included by build.rs (tauri-build makes an `allow-…` permission for each) and by lib.rs (tests
// check capabilities/default.json and the generated TypeScript against it). Keep it in the
// order of `tauri::generate_handler!` in lib.rs.

/// Every IPC command the app defines.
pub const COMMANDS: &[&str] = &[
    "list_profiles",
    "import_kubeconfig",
    "profile_details",
    "save_profile",
    "pick_kubeconfig",
    "delete_profile",
    "demo_profile",
    "list_namespaces",
    "watch_pods",
    "stop_watch",
    "open_session",
    "send_input",
    "resize",
    "ack",
    "close_session",
    "list_favourites",
    "add_favourite",
    "rename_favourite",
    "delete_favourite",
    "reorder_favourites",
    "resolve_favourite",
    "watch_requests",
    "open_url",
];
