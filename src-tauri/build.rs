//! Tauri's build step: config, capabilities, and an `allow-<command>` permission for each of the
//! app's commands (capabilities/default.json grants them to the main window).

include!("command_names.rs");

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
