// The form that adds a cluster by hand or edits a saved one: name, API server, namespace, CA
// certificate, TLS verification and a bearer token. A token is never shown back: when editing,
// an empty token box keeps the stored one.
//
// The fields and their conversion (pure); the dialog is `profile-form-view.ts`.
import type { ProfileDetails, ManualProfile } from "../ipc";

/** The form's boxes, as typed. */
export interface ProfileFields {
  name: string;
  server: string;
  namespace: string;
  caPem: string;
  insecure: boolean;
  token: string;
}

export function emptyFields(): ProfileFields {
  return { name: "", server: "https://", namespace: "", caPem: "", insecure: false, token: "" };
}

/** The boxes filled from a saved profile (the token box stays empty: "unchanged"). */
export function fieldsFromDetails(d: ProfileDetails): ProfileFields {
  return {
    name: d.name,
    server: d.server,
    namespace: d.namespace ?? "",
    caPem: d.caPem ?? "",
    insecure: d.insecure,
    token: "",
  };
}

const optional = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/**
 * What save_profile gets: `original` is the name being edited (null: a new profile); an empty
 * namespace, CA or token is null (a null token keeps the stored one).
 */
export function profileInput(f: ProfileFields, original: string | null): ManualProfile {
  return {
    original,
    name: f.name.trim(),
    server: f.server.trim(),
    namespace: optional(f.namespace),
    caPem: optional(f.caPem),
    insecure: f.insecure,
    token: optional(f.token),
  };
}
