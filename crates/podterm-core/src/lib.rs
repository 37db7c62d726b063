//! Podterm's engine. It never depends on Tauri: everything the app does can be done, and tested,
//! without a window. The exec engine arrives with the exec issue.
