// The IPC contract's types as the UI imports them. Commands are declared once in
// src-tauri/contract.rs; the types, the `Commands` interface, the Tauri client and the
// flow-control constants are generated from Rust into `./generated/` (a Rust test fails when
// they are stale). A command that fails rejects with a `CommandError`: branch on its `kind`.

export type {
  AppRequest,
  CommandError,
  DebugPlan,
  DebugRequest,
  ErrorKind,
  FavouriteSummary,
  OpenSessionRequest,
  PodChange,
  ChangeKind,
  PodOwner,
  PodSummary,
  ProfileDetails,
  ManualProfile,
  ProfileSummary,
  ProfileColour,
  RestoredTab,
  RestoredTabs,
  SavedTab,
  SavedTabs,
  ResolvedFavourite,
  SessionState,
  WatchStatus,
  OpenLogsRequest,
  LogsRequest,
  LogsState,
  PodDetails,
  PodCondition,
  ContainerInfo,
  PodEvent,
} from "./generated";
