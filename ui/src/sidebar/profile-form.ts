// The form that adds a cluster by hand or edits a saved one: name, API server, namespace, CA
// certificate, TLS verification, a bearer token, and the network settings (keepalive interval,
// dead-link deadline, empty: the defaults; reconnecting lost tabs automatically). A token is never shown back: when editing,
// an empty token box keeps the stored one. The CA box takes PEM text or the path of a PEM file:
// an imported profile's file reference is shown as its path and kept unless the box changes.
//
// The fields and their conversion (pure); the dialog is `profile-form-view.ts`.
import type { ProfileDetails, ManualProfile } from "../ipc";

/** The form's boxes, as typed. */
export interface ProfileFields {
  name: string;
  server: string;
  namespace: string;
  /** PEM text, or the path of a PEM file. */
  ca: string;
  insecure: boolean;
  token: string;
  /** Seconds; empty: the default (5). */
  keepalive: string;
  /** Seconds; empty: the default (30). */
  deadLink: string;
  /** Tabs reconnect on their own when their session is lost. */
  reconnect: boolean;
}

/** The defaults the two network boxes show as placeholders (the engine's own). */
export const DEFAULT_KEEPALIVE_SECS = 5;
export const DEFAULT_DEAD_LINK_SECS = 30;

export function emptyFields(): ProfileFields {
  return { name: "", server: "https://", namespace: "", ca: "", insecure: false, token: "", keepalive: "", deadLink: "", reconnect: false };
}

/** The boxes filled from a saved profile (the token box stays empty: "unchanged"). */
export function fieldsFromDetails(d: ProfileDetails): ProfileFields {
  return {
    name: d.name,
    server: d.server,
    namespace: d.namespace ?? "",
    ca: d.caPem ?? d.caFile ?? "",
    insecure: d.insecure,
    token: "",
    keepalive: d.keepaliveSecs == null ? "" : String(d.keepaliveSecs),
    deadLink: d.deadLinkSecs == null ? "" : String(d.deadLinkSecs),
    reconnect: d.reconnect,
  };
}

const optional = (s: string): string | null => (s.trim() === "" ? null : s.trim());

const wholeSeconds = (s: string): boolean => s.trim() === "" || /^\d+$/.test(s.trim());

/** A seconds box: empty is null (the default), else its whole number (see `networkProblem`). */
const seconds = (s: string): number | null => (s.trim() === "" ? null : Number(s.trim()));

/**
 * What is wrong with the network boxes, in words, before anything is sent (save_profile checks
 * the ranges): null when both are empty or whole numbers.
 */
export function networkProblem(f: ProfileFields): string | null {
  if (!wholeSeconds(f.keepalive)) return "The keepalive interval is a whole number of seconds (empty: 5).";
  if (!wholeSeconds(f.deadLink)) return "The dead-link deadline is a whole number of seconds (empty: 30).";
  return null;
}

/** Whether the CA box holds PEM text (else it is a file path). */
export const isPem = (s: string): boolean => s.includes("-----BEGIN");

/**
 * What save_profile gets: `original` is the name being edited (null: a new profile); an empty
 * namespace, CA or token is null (a null token keeps the stored one); the CA box goes as `caPem`
 * when it holds PEM, else as `caFile`.
 */
export function profileInput(f: ProfileFields, original: string | null): ManualProfile {
  return {
    original,
    name: f.name.trim(),
    server: f.server.trim(),
    namespace: optional(f.namespace),
    caPem: isPem(f.ca) ? optional(f.ca) : null,
    caFile: isPem(f.ca) ? null : optional(f.ca),
    insecure: f.insecure,
    token: optional(f.token),
    keepaliveSecs: seconds(f.keepalive),
    deadLinkSecs: seconds(f.deadLink),
    reconnect: f.reconnect,
  };
}

/**
 * What the edit form says about a profile's credentials when it cannot edit them itself (it
 * takes a bearer token only): how to renew them. Null for a token or no credentials.
 */
export function credentialsNote(authKind: string): string | null {
  if (authKind === "token" || authKind === "none") return null;
  const what = authKind === "OIDC" ? "OIDC" : `${/^[aeiou]/i.test(authKind) ? "an" : "a"} ${authKind}`;
  return `This cluster signs in with ${what}, kept as imported. To renew it (a new certificate and key, say), import its kubeconfig again with + → Import; a token entered below replaces it.`;
}
