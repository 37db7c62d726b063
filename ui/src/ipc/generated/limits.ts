// Generated from podterm_core::settings by `cargo test -p podterm-desktop`: do not edit.
/** Lines a Logs view keeps until the user chooses (settings.json's `logLines`). */
export const DEFAULT_LOG_LINES = 10000;
/** The fewest and the most lines a Logs view may keep. */
export const MIN_LOG_LINES = 100;
export const MAX_LOG_LINES = 100000;
