//! Tauri's build step: config, capabilities, and an `allow-<command>` permission for each
//! command of the IPC contract (src-tauri/contract.rs; capabilities/default.json grants them to
//! the main window).

include!("contract.rs");

/// The command names of the contract (the types are only tokens here).
macro_rules! command_names {
    ($( $(#[$doc:meta])* $mode:ident $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/contract.rs");
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
