// The add/edit cluster dialog: a form over `ProfileFields` (profile-form.ts).
import { h } from "../dom";
import { COLOURS, COLOUR_HUES } from "../profile-look";
import type { ProfileColour } from "../ipc/types";
import { errorMessage, type ProfileDetails, type ManualProfile } from "../ipc";
import {
  DEFAULT_DEAD_LINK_SECS,
  DEFAULT_KEEPALIVE_SECS,
  credentialsNote,
  emptyFields,
  fieldsFromDetails,
  networkProblem,
  profileInput,
  type ProfileFields,
} from "./profile-form";

export interface ProfileFormOptions {
  /** The profile being edited; null: a new one. */
  details: ProfileDetails | null;
  /** Saves; a rejection's message is shown in the form, which stays open. */
  save: (input: ManualProfile) => Promise<unknown>;
  /** The native folder dialog (the recordings' folder); null when cancelled. */
  pickFolder?: () => Promise<string | null>;
}

/** Opens the form as a modal dialog; it closes on a successful save, Cancel or Escape. */
export function openProfileForm(opts: ProfileFormOptions): HTMLDialogElement {
  const { details } = opts;
  const f = details ? fieldsFromDetails(details) : emptyFields();
  const original = details?.name ?? null;

  const input = (name: string, value: string, extra: Record<string, string> = {}) => {
    const el = h("input", { type: "text", name, spellcheck: "false", autocomplete: "off", ...extra });
    el.value = value;
    return el;
  };
  const name = input("name", f.name, { placeholder: "e.g. staging" });
  const server = input("server", f.server, { placeholder: "https://10.0.0.1:6443" });
  const namespace = input("namespace", f.namespace, { placeholder: "default" });
  const ca = h("textarea", { name: "ca", rows: 4, spellcheck: "false", placeholder: "-----BEGIN CERTIFICATE-----  or  /path/to/ca.crt" });
  ca.value = f.ca;
  const insecure = h("input", { type: "checkbox", name: "insecure" });
  insecure.checked = f.insecure;
  const warning = h("div", { class: "form-warning" }, "Anyone between you and the server can read and change this connection, token included. Prefer the server's CA certificate.");
  const showWarning = () => (warning.hidden = !insecure.checked);
  insecure.addEventListener("change", showWarning);
  showWarning();
  const token = input("token", "", {
    type: "password",
    placeholder: details?.hasToken ? "unchanged" : "none",
  });
  // How it signs in: a bearer token, or a client certificate and its key.
  const signIn = h(
    "select",
    { name: "signIn" },
    h("option", { value: "token" }, "Bearer token"),
    h("option", { value: "certificate" }, "Client certificate and key"),
  );
  signIn.value = f.signIn;
  const clientCert = h("textarea", { name: "clientCert", rows: 3, spellcheck: "false", placeholder: "-----BEGIN CERTIFICATE-----  or  /path/to/client.crt" });
  clientCert.value = f.clientCert;
  const clientKey = h("textarea", {
    name: "clientKey",
    rows: 3,
    spellcheck: "false",
    autocomplete: "off",
    placeholder: details?.hasClientKey ? "stored in the keyring (unchanged)" : "-----BEGIN PRIVATE KEY----- …",
  });
  const clientKeyFile = input("clientKeyFile", f.clientKeyFile, { placeholder: "or the key file's path: /path/to/client.key" });
  const tokenPart = h("div", { class: "signin-token" });
  const certPart = h("div", { class: "signin-certificate" });
  const showSignIn = () => {
    tokenPart.hidden = signIn.value !== "token";
    certPart.hidden = signIn.value !== "certificate";
  };
  signIn.addEventListener("change", showSignIn);
  const seconds = { inputmode: "numeric", class: "field-seconds" };
  const keepalive = input("keepalive", f.keepalive, { ...seconds, placeholder: String(DEFAULT_KEEPALIVE_SECS) });
  const deadLink = input("deadLink", f.deadLink, { ...seconds, placeholder: String(DEFAULT_DEAD_LINK_SECS) });
  // The tabs' colour: a small palette, or the one derived from the name.
  const colour = h(
    "select",
    { name: "colour" },
    h("option", { value: "" }, "Automatic (from the name)"),
    ...COLOURS.map((c) => h("option", { value: c, style: `color: hsl(${COLOUR_HUES[c]} 65% 45%)` }, `\u25a0 ${c[0]!.toUpperCase()}${c.slice(1)}`)),
  );
  colour.value = f.colour;
  const production = h("input", { type: "checkbox", name: "production" });
  production.checked = f.production;
  const reconnect = h("input", { type: "checkbox", name: "reconnect" });
  reconnect.checked = f.reconnect;
  const recordSessions = h("input", { type: "checkbox", name: "recordSessions" });
  recordSessions.checked = f.recordSessions;
  const recordFolder = input("recordFolder", f.recordFolder, { placeholder: "the app's recordings folder" });
  const recordInput = h("input", { type: "checkbox", name: "recordInput" });
  recordInput.checked = f.recordInput;
  const chooseFolder = h(
    "button",
    {
      type: "button",
      class: "choose-record-folder",
      onclick: () => {
        void opts.pickFolder?.().then((p) => {
          if (p) recordFolder.value = p;
        });
      },
    },
    "Choose…",
  );
  chooseFolder.hidden = !opts.pickFolder;
  const recordInputLabel = h("label", { class: "field-check record-input" }, recordInput, h("span", {}, "Also record what is typed (input)"));
  const showRecording = () => {
    recordInput.disabled = !recordSessions.checked;
    if (!recordSessions.checked) recordInput.checked = false;
  };
  recordSessions.addEventListener("change", showRecording);
  showRecording();
  const error = h("div", { class: "message error form-error", role: "alert", hidden: true });
  const saveButton = h("button", { type: "submit", class: "primary" }, "Save");

  const field = (label: string, control: HTMLElement, hint?: string) =>
    h("label", { class: "field" }, h("span", { class: "field-label" }, label), control, hint ? h("span", { class: "field-hint" }, hint) : null);

  const dialog = h("dialog", { class: "profile-form", "aria-label": details ? `Edit ${details.name}` : "Add a cluster" });
  const form = h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const fields: ProfileFields = {
          name: name.value,
          server: server.value,
          namespace: namespace.value,
          ca: ca.value,
          insecure: insecure.checked,
          token: token.value,
          keepalive: keepalive.value,
          deadLink: deadLink.value,
          colour: colour.value as ProfileColour | "",
          production: production.checked,
          signIn: signIn.value === "certificate" ? "certificate" : "token",
          clientCert: clientCert.value,
          clientKey: clientKey.value,
          clientKeyFile: clientKeyFile.value,
          reconnect: reconnect.checked,
          recordSessions: recordSessions.checked,
          recordFolder: recordFolder.value,
          recordInput: recordInput.checked,
        };
        const problem = networkProblem(fields);
        if (problem) {
          error.textContent = problem;
          error.hidden = false;
          return;
        }
        saveButton.disabled = true;
        error.hidden = true;
        opts.save(profileInput(fields, original, details)).then(
          () => dialog.close(),
          (err: unknown) => {
            saveButton.disabled = false;
            error.textContent = errorMessage(err);
            error.hidden = false;
          },
        );
      },
    },
    h("h2", {}, details ? `Edit ${details.name}` : "Add a cluster"),
    field("Name", name),
    field("API server URL", server),
    field("Namespace (optional)", namespace),
    field(
      "CA certificate: PEM, or a PEM file's path (optional)",
      ca,
      "A path is read each time you connect. Empty: the system's trusted certificates.",
    ),
    h("label", { class: "field-check" }, insecure, h("span", {}, "Skip TLS verification")),
    warning,
    field("Colour of its tabs", colour),
    h(
      "label",
      { class: "field-check" },
      production,
      h("span", {}, "Production cluster: its tabs and terminals carry a red PROD mark"),
    ),
    details && credentialsNote(details.authKind)
      ? h("p", { class: "form-note credentials-note" }, credentialsNote(details.authKind))
      : null,
    details?.execCommand
      ? field("Exec plugin (as imported)", h("code", { class: "readonly-value exec-command" }, details.execCommand), "Runs when Podterm connects; its secret arguments are in the keyring (shown as ***).")
      : null,
    details?.oidc ? field("OIDC (as imported)", h("code", { class: "readonly-value oidc" }, details.oidc)) : null,
    field("Sign in with", signIn),
    tokenPart,
    certPart,
    h(
      "fieldset",
      { class: "form-network" },
      h("legend", {}, "Network"),
      field(
        "Keepalive interval, seconds (optional)",
        keepalive,
        `A ping when the connection has been quiet this long; keep it below the idle timeout of any load balancer or proxy on the way. Empty: ${DEFAULT_KEEPALIVE_SECS}.`,
      ),
      field(
        "Dead-link deadline, seconds (optional)",
        deadLink,
        `Nothing from the cluster for this long, not even a ping's answer: the session ends and says so. Empty: ${DEFAULT_DEAD_LINK_SECS}.`,
      ),
      h("label", { class: "field-check" }, reconnect, h("span", {}, "Reconnect automatically")),
      h(
        "span",
        { class: "field-hint" },
        "A tab whose connection is lost (a dead link, the laptop waking up) opens a new session on its own once the cluster answers, and marks it in the terminal. A favourite's tab finds its workload's current pod.",
      ),
    ),
    h(
      "fieldset",
      { class: "form-recording" },
      h("legend", {}, "Recording"),
      h("label", { class: "field-check" }, recordSessions, h("span", {}, "Record every session")),
      h(
        "span",
        { class: "field-hint" },
        "Each terminal of this cluster is recorded from its first byte (asciicast, plays in asciinema and in Recordings); its tab shows ● REC.",
      ),
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Folder (optional)"), h("span", { class: "field-row" }, recordFolder, chooseFolder)),
      recordInputLabel,
      h("span", { class: "field-hint" }, "Off unless you need it: what is typed includes passwords, and they would be in the file."),
    ),
    error,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Cancel"),
      saveButton,
    ),
  );
  tokenPart.append(
    field(
      "Bearer token (optional)",
      token,
      details ? "Leave empty to keep the current credentials." : "Kept in the system keyring, never in a file.",
    ),
  );
  certPart.append(
    field("Client certificate: PEM, or a PEM file's path", clientCert, details?.clientCert ? "Leave as it is to keep it." : "Public: kept in Podterm's profile file."),
    field(
      "Private key: PEM",
      clientKey,
      details?.hasClientKey ? "Empty: keep the key stored in the system keyring." : "Kept in the system keyring, never in a file.",
    ),
    field("…or the private key's file", clientKeyFile, "Read each time you connect."),
  );
  showSignIn();
  dialog.appendChild(form);
  // Escape closes the dialog by itself ("cancel", then "close").
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  name.focus();
  return dialog;
}
