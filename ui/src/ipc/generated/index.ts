// Generated from src-tauri/contract.rs by `cargo test -p podterm-desktop`: do not edit.
export type { AppRequest } from "./AppRequest";
export type { FavouriteSummary } from "./FavouriteSummary";
export type { OpenSessionRequest } from "./OpenSessionRequest";
export type { TerminalRequest } from "./TerminalRequest";
export type { PodChange } from "./PodChange";
export type { ChangeKind } from "./ChangeKind";
export type { PodSummary } from "./PodSummary";
export type { PodOwner } from "./PodOwner";
export type { ProfileDetails } from "./ProfileDetails";
export type { ManualProfile } from "./ManualProfile";
export type { ProfileSummary } from "./ProfileSummary";
export type { ResolvedFavourite } from "./ResolvedFavourite";
export type { SessionState } from "./SessionState";
export type { WatchStatus } from "./WatchStatus";
export type { ErrorKind } from "./ErrorKind";
export type { CommandError } from "./CommandError";
export * from "./commands";
export * from "./flow";
