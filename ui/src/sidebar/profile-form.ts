// The form that adds a cluster by hand or edits a saved one: name, API server, namespace, CA
// certificate, TLS verification, a bearer token, and the network settings (keepalive interval,
// dead-link deadline, empty: the defaults; reconnecting lost tabs automatically), and recording
// every session (a folder, input only as a second choice). A token is never shown back: when editing,
// an empty token box keeps the stored one. The CA box takes PEM text or the path of a PEM file:
// an imported profile's file reference is shown as its path and kept unless the box changes.
//
// The fields and their conversion (pure); the dialog is `profile-form-view.ts`.
import type { ProfileDetails, ManualProfile } from "../ipc";
import type { ProfileColour } from "../ipc/types";

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
  /** How it signs in, as the form edits it: a bearer token, or a client certificate and key. */
  signIn: "token" | "certificate";
  /** The client certificate: PEM or a file's path. */
  clientCert: string;
  /** A new private key (PEM, to the keyring); empty: keep the stored one. */
  clientKey: string;
  /** The private key's file path instead. */
  clientKeyFile: string;
  /** The tabs' colour; "": derived from the name. */
  colour: ProfileColour | "";
  /** A production cluster: its tabs are marked. */
  production: boolean;
  /** Tabs reconnect on their own when their session is lost. */
  reconnect: boolean;
  /** Every session is recorded. */
  recordSessions: boolean;
  /** The recordings' folder (absolute); empty: the app's recordings folder. */
  recordFolder: string;
  /** The recordings hold what is typed too (passwords included): a second, explicit choice. */
  recordInput: boolean;
}

/** The defaults the two network boxes show as placeholders (the engine's own). */
export const DEFAULT_KEEPALIVE_SECS = 5;
export const DEFAULT_DEAD_LINK_SECS = 30;

export function emptyFields(): ProfileFields {
  return { name: "", server: "https://", namespace: "", ca: "", insecure: false, token: "", keepalive: "", deadLink: "", colour: "", production: false, signIn: "token", clientCert: "", clientKey: "", clientKeyFile: "", reconnect: false, recordSessions: false, recordFolder: "", recordInput: false };
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
    colour: d.colour ?? "",
    production: d.production,
    signIn: d.authKind === "client certificate" ? "certificate" : "token",
    clientCert: d.clientCert ?? "",
    clientKey: "",
    clientKeyFile: d.clientKeyFile ?? "",
    reconnect: d.reconnect,
    recordSessions: d.recordSessions,
    recordFolder: d.recordFolder ?? "",
    recordInput: d.recordInput,
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
export function profileInput(f: ProfileFields, original: string | null, saved: ProfileDetails | null = null): ManualProfile {
  const cert = f.signIn === "certificate";
  // Unchanged boxes are not sent: the engine keeps what the profile has.
  const changed = (now: string, before: string | null | undefined) => (now.trim() !== "" && now.trim() !== (before ?? "").trim() ? now.trim() : null);
  return {
    original,
    name: f.name.trim(),
    server: f.server.trim(),
    namespace: optional(f.namespace),
    caPem: isPem(f.ca) ? optional(f.ca) : null,
    caFile: isPem(f.ca) ? null : optional(f.ca),
    insecure: f.insecure,
    token: cert ? null : optional(f.token),
    clientCert: cert ? changed(f.clientCert, saved?.clientCert) : null,
    clientKey: cert ? optional(f.clientKey) : null,
    clientKeyFile: cert ? changed(f.clientKeyFile, saved?.clientKeyFile) : null,
    keepaliveSecs: seconds(f.keepalive),
    deadLinkSecs: seconds(f.deadLink),
    colour: f.colour === "" ? null : f.colour,
    production: f.production,
    reconnect: f.reconnect,
    recordSessions: f.recordSessions,
    recordFolder: optional(f.recordFolder),
    // Input is recorded only with recording on and its own box ticked.
    recordInput: f.recordSessions && f.recordInput,
  };
}

/**
 * What the edit form says about credentials it shows but cannot edit (an exec plugin, OIDC, a
 * token file, basic auth): kept as imported, how to renew them, and that a token or a
 * certificate entered in the form replaces them. Null for a token, a certificate or none.
 */
export function credentialsNote(authKind: string): string | null {
  if (authKind === "token" || authKind === "none" || authKind === "client certificate") return null;
  const what = authKind === "OIDC" ? "OIDC" : `${/^[aeiou]/i.test(authKind) ? "an" : "a"} ${authKind}`;
  return `This cluster signs in with ${what}, kept as imported. To change it, import its kubeconfig again with + → Import; a token or a client certificate entered below replaces it.`;
}
