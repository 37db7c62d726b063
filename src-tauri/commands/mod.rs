//! The IPC commands, one module per area. Each handler takes the [`Ctx`] and the arguments the
//! contract (src-tauri/contract.rs) declares, and returns `Result<Response, E>` with
//! `Error: From<E>`; the Tauri commands that wrap them are generated from the contract below,
//! so a handler that drifts from the contract does not compile.

mod browse;
mod desktop;
mod favourites;
mod forwards;
mod logs;
mod profiles;
mod recordings;
mod sessions;
mod transfers;

pub use browse::*;
pub use desktop::*;
pub use favourites::*;
pub use forwards::*;
pub use logs::*;
pub use profiles::*;
pub use recordings::*;
pub use sessions::*;
pub use transfers::*;

use crate::desktop::Desktop;
use crate::state::{Forwards, LogViews, Profiles, Recordings, Sessions, Transfers, Watches};
use podterm_core::pagesocket::PageSockets;
use tauri::{AppHandle, Manager, State};

/// Bytes streamed to the webview as an `ArrayBuffer` (`Channel<Raw>` in the contract).
pub type Raw = tauri::ipc::InvokeResponseBody;

/// What a handler may reach: the registries, the desktop state, and the app itself (the tray,
/// dialogs).
pub struct Ctx<'a> {
    pub handle: &'a AppHandle,
    pub profiles: State<'a, Profiles>,
    pub sessions: State<'a, Sessions>,
    pub watches: State<'a, Watches>,
    pub logs: State<'a, LogViews>,
    pub transfers: State<'a, Transfers>,
    pub forwards: State<'a, Forwards>,
    pub recordings: State<'a, Recordings>,
    pub desktop: State<'a, Desktop>,
    /// Sessions' output sockets into the page.
    pub page_sockets: State<'a, PageSockets>,
}

impl<'a> Ctx<'a> {
    pub fn new(handle: &'a AppHandle) -> Self {
        Ctx {
            handle,
            profiles: handle.state(),
            sessions: handle.state(),
            watches: handle.state(),
            logs: handle.state(),
            transfers: handle.state(),
            forwards: handle.state(),
            recordings: handle.state(),
            desktop: handle.state(),
            page_sockets: handle.state(),
        }
    }
}

/// One Tauri command a contract line: `sync` ones run in the order the webview sent them,
/// `async` ones concurrently.
macro_rules! tauri_command {
    ($(#[$doc:meta])* sync $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[$doc])*
        #[tauri::command]
        pub fn $name(handle: tauri::AppHandle, $($arg: $ty),*) -> Result<$ret, crate::error::Error> {
            let ctx = super::Ctx::new(&handle);
            super::$name(&ctx, $($arg),*).map_err(crate::error::Error::from)
        }
    };
    ($(#[$doc:meta])* async $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[$doc])*
        #[tauri::command]
        pub async fn $name(handle: tauri::AppHandle, $($arg: $ty),*) -> Result<$ret, crate::error::Error> {
            let ctx = super::Ctx::new(&handle);
            super::$name(&ctx, $($arg),*).await.map_err(crate::error::Error::from)
        }
    };
}

macro_rules! tauri_commands {
    ($( $(#[$doc:meta])* $mode:ident $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        /// The Tauri commands, generated from the contract.
        pub mod ipc {
            #[allow(unused_imports)]
            use crate::ipc::*;
            #[allow(unused_imports)]
            use super::Raw;
            #[allow(unused_imports)]
            use tauri::ipc::Channel;
            $( tauri_command!($(#[$doc])* $mode $name ( $($arg : $ty),* ) -> $ret); )*
        }

        /// The contract's command names, in its order.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Tauri's handler for every command of the contract.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(ipc::$name),*]
        }
    };
}

with_commands!(tauri_commands);
