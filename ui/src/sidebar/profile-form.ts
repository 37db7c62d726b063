// The form that adds a cluster by hand or edits a saved one: name, API server, namespace, CA
// certificate, TLS verification and a bearer token. A token is never shown back: when editing,
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
}

export function emptyFields(): ProfileFields {
  return { name: "", server: "https://", namespace: "", ca: "", insecure: false, token: "" };
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
  };
}

const optional = (s: string): string | null => (s.trim() === "" ? null : s.trim());

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
