//! Podterm's desktop app: the binary. Everything is in the library (src-tauri/lib.rs).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    podterm_desktop_lib::run();
}
