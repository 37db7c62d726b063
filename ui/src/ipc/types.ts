// The IPC contract's types as the UI imports them. Commands are declared once in
// src-tauri/contract.rs; the types, the `Commands` interface, the Tauri client and the
// flow-control constants are generated from Rust into `./generated/` (a Rust test fails when
// they are stale). A command that fails rejects with a `CommandError`: branch on its `kind`.

export type {
  AppRequest,
  CommandError,
  ErrorKind,
  FavouriteSummary,
  OpenSessionRequest,
  PodEvent,
  PodEventType,
  PodSummary,
  ProfileDetails,
  ProfileInput,
  ProfileSummary,
  ResolvedFavourite,
  SessionState,
  WatchStatus,
} from "./generated";

import type { PodSummary } from "./generated";

/**
 * A pod's controller, from its ownerReferences: `{ kind: "ReplicaSet", name: "web-6b7f9c8d5" }`.
 * `PodSummary.owner` carries it (null: a bare pod).
 */
export interface PodOwner {
  kind: string;
  name: string;
}

/**
 * The owner of `pod`. Until the generated `PodSummary` has its `owner` field this reads it
 * through a narrow type (absent: no owner); once it has, this is `pod.owner`.
 */
export function podOwner(pod: PodSummary): PodOwner | null {
  return (pod as PodSummary & { owner?: PodOwner | null }).owner ?? null;
}
