import { describe, expect, it } from "vitest";
import { credentialsNote, emptyFields, fieldsFromDetails, networkProblem, profileInput } from "./profile-form";
import type { ProfileDetails } from "../ipc";

const PEM = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----";

function details(over: Partial<ProfileDetails> = {}): ProfileDetails {
  return {
    name: "staging",
    server: "https://10.0.0.1:6443",
    namespace: null,
    caPem: `${PEM}\n`,
    caFile: null,
    insecure: true,
    authKind: "token",
    hasToken: true,
    keepaliveSecs: null,
    deadLinkSecs: null,
    colour: null,
    production: false,
    clientCert: null,
    hasClientKey: false,
    clientKeyFile: null,
    execCommand: null,
    oidc: null,
    reconnect: false,
    recordSessions: false,
    recordFolder: null,
    recordInput: false,
    ...over,
  };
}

describe("profile form", () => {
  it("a new profile: trimmed fields; an empty namespace, CA or token is null", () => {
    const f = { ...emptyFields(), name: " staging ", server: " https://10.0.0.1:6443 ", namespace: "  ", ca: "\n", token: "" };
    expect(profileInput(f, null)).toEqual({
      original: null,
      name: "staging",
      server: "https://10.0.0.1:6443",
      namespace: null,
      caPem: null,
      caFile: null,
      insecure: false,
      token: null,
      keepaliveSecs: null,
      deadLinkSecs: null,
      colour: null,
      production: false,
      clientCert: null,
      clientKey: null,
      clientKeyFile: null,
      reconnect: false,
      recordSessions: false,
      recordFolder: null,
      recordInput: false,
    });
    expect(emptyFields().server).toBe("https://");
  });

  it("editing keeps the original name (a rename), and the token box starts empty: unchanged", () => {
    const d = details();
    const f = fieldsFromDetails(d);
    expect(f).toMatchObject({ name: "staging", namespace: "", insecure: true, token: "" });
    const input = profileInput({ ...f, name: "prod", namespace: "apps" }, d.name);
    expect(input).toEqual({
      original: "staging",
      name: "prod",
      server: "https://10.0.0.1:6443",
      namespace: "apps",
      caPem: PEM,
      caFile: null,
      insecure: true,
      token: null,
      keepaliveSecs: null,
      deadLinkSecs: null,
      colour: null,
      production: false,
      clientCert: null,
      clientKey: null,
      clientKeyFile: null,
      reconnect: false,
      recordSessions: false,
      recordFolder: null,
      recordInput: false,
    });
    expect(profileInput({ ...f, token: " abc " }, "staging").token).toBe("abc");
  });

  it("a CA that is a file reference is shown as its path and kept when other fields change", () => {
    const d = details({ caPem: null, caFile: "/home/me/.kube/ca.crt", authKind: "exec plugin", hasToken: false });
    const f = fieldsFromDetails(d);
    expect(f.ca).toBe("/home/me/.kube/ca.crt");
    const input = profileInput({ ...f, namespace: "apps" }, d.name);
    expect(input).toMatchObject({ caPem: null, caFile: "/home/me/.kube/ca.crt", namespace: "apps", token: null });
    // Replaced by another file, or by PEM, or removed.
    expect(profileInput({ ...f, ca: " /etc/ca.pem " }, d.name)).toMatchObject({ caPem: null, caFile: "/etc/ca.pem" });
    expect(profileInput({ ...f, ca: PEM }, d.name)).toMatchObject({ caPem: PEM, caFile: null });
    expect(profileInput({ ...f, ca: "" }, d.name)).toMatchObject({ caPem: null, caFile: null });
  });

  it("the network settings: shown from the profile, empty is the default, only whole seconds go", () => {
    const f = fieldsFromDetails(details({ keepaliveSecs: 4, deadLinkSecs: null }));
    expect(f).toMatchObject({ keepalive: "4", deadLink: "" });
    expect(profileInput(f, "staging")).toMatchObject({ keepaliveSecs: 4, deadLinkSecs: null });
    expect(profileInput({ ...f, keepalive: " ", deadLink: " 45 " }, "staging")).toMatchObject({
      keepaliveSecs: null,
      deadLinkSecs: 45,
    });
    expect(networkProblem(f)).toBeNull();
    expect(networkProblem({ ...f, keepalive: "2.5" })).toMatch(/keepalive interval is a whole number/);
    expect(networkProblem({ ...f, deadLink: "soon" })).toMatch(/dead-link deadline is a whole number/);
  });

  it("record every session: off for a new profile; the folder blank is the default; input only with recording on", () => {
    expect(profileInput(emptyFields(), null)).toMatchObject({ recordSessions: false, recordFolder: null, recordInput: false });
    const f = fieldsFromDetails(details({ recordSessions: true, recordFolder: "/srv/recs", recordInput: true }));
    expect(f).toMatchObject({ recordSessions: true, recordFolder: "/srv/recs", recordInput: true });
    expect(profileInput({ ...f, recordFolder: "  " }, "staging")).toMatchObject({ recordSessions: true, recordFolder: null, recordInput: true });
    // Unticking recording takes input recording with it.
    expect(profileInput({ ...f, recordSessions: false }, "staging").recordInput).toBe(false);
  });

  it("reconnect automatically: off for a new profile, shown from the profile, sent as ticked", () => {
    expect(emptyFields().reconnect).toBe(false);
    expect(profileInput(emptyFields(), null).reconnect).toBe(false);
    const f = fieldsFromDetails(details({ reconnect: true }));
    expect(f.reconnect).toBe(true);
    expect(profileInput(f, "staging").reconnect).toBe(true);
    expect(profileInput({ ...f, reconnect: false }, "staging").reconnect).toBe(false);
  });
});

describe("the edit form's word on credentials it cannot edit", () => {
  it("a client-certificate profile is told to import again (or give a token); a token profile needs no note", () => {
    expect(credentialsNote("client certificate")).toBeNull();
    expect(credentialsNote("OIDC")).toMatch(/^This cluster signs in with OIDC, kept as imported\. To change it, import its kubeconfig again/);
    expect(credentialsNote("exec plugin")).toMatch(/^This cluster signs in with an exec plugin,/);
    expect(credentialsNote("token")).toBeNull();
    expect(credentialsNote("none")).toBeNull();
  });

  it("the colour and the production mark go both ways; no colour is null", () => {
    const f = fieldsFromDetails(details({ colour: "orange", production: true }));
    expect(f).toMatchObject({ colour: "orange", production: true });
    expect(profileInput(f, "staging")).toMatchObject({ colour: "orange", production: true });
    expect(profileInput({ ...f, colour: "", production: false }, "staging")).toMatchObject({ colour: null, production: false });
    expect(emptyFields()).toMatchObject({ colour: "", production: false });
  });

  it("a client-certificate profile: the certificate is shown, the key never; only what changed is sent", () => {
    const d = details({ authKind: "client certificate", hasToken: false, clientCert: PEM, hasClientKey: true });
    const f = fieldsFromDetails(d);
    expect(f).toMatchObject({ signIn: "certificate", clientCert: PEM, clientKey: "", clientKeyFile: "" });
    // Nothing changed: the stored certificate and key are kept.
    expect(profileInput(f, "staging", d)).toMatchObject({ clientCert: null, clientKey: null, clientKeyFile: null, token: null });
    // A new key (the "missing key" case) and a certificate file.
    const key = "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----";
    expect(profileInput({ ...f, clientKey: key, clientCert: "/etc/k8s/me.crt" }, "staging", d)).toMatchObject({ clientCert: "/etc/k8s/me.crt", clientKey: key });
    // Switching to a token sends the token and no certificate.
    expect(profileInput({ ...f, signIn: "token", token: "t", clientKey: key }, "staging", d)).toMatchObject({ token: "t", clientCert: null, clientKey: null });
    // A token profile switched to a certificate sends both boxes, and no token.
    const t = fieldsFromDetails(details());
    expect(t.signIn).toBe("token");
    expect(profileInput({ ...t, signIn: "certificate", clientCert: PEM, clientKeyFile: "/k.pem", token: "x" }, "staging", details())).toMatchObject({
      clientCert: PEM,
      clientKeyFile: "/k.pem",
      token: null,
    });
  });
});
