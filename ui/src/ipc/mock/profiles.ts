// The mock's saved clusters: the Demo profile, profiles typed by hand (kept in memory, validated
// as podterm_core::manual does), imports (the browser has no file access: they fail) and the
// "native file dialog", which answers the path set with setPickedFile.
import type { ProfileDetails, ManualProfile, ProfileSummary } from "../types";
import { mockError } from "./errors";

export const DEMO_PROFILE: ProfileSummary = {
  name: "demo",
  server: "https://127.0.0.1:6443",
  authKind: "token",
  insecure: false,
  namespace: "demo",
  colour: null,
  production: false,
  reconnect: false,
  recordSessions: false,
  actsAs: null,
};

export class MockProfiles {
  private profiles: ProfileSummary[];
  /** What profile_details adds to a summary: a CA as PEM or a file, whether a token is stored. */
  private readonly extras = new Map<
    string,
    {
      caPem: string | null;
      caFile: string | null;
      hasToken: boolean;
      keepaliveSecs: number | null;
      deadLinkSecs: number | null;
      clientCert?: string | null;
      hasClientKey?: boolean;
      clientKeyFile?: string | null;
      recordFolder?: string | null;
      recordInput?: boolean;
    }
  >();
  /** What the file dialog answers next. */
  pickedFile: string | null = null;
  /** How many times the file dialog has answered. */
  dialogsAnswered = 0;
  /** How many imports were asked for (a path, or the default file). */
  importsAsked = 0;

  constructor(withDemo: boolean) {
    this.profiles = withDemo ? [{ ...DEMO_PROFILE }] : [];
  }

  list(): ProfileSummary[] {
    return this.profiles.map((p) => ({ ...p }));
  }

  require(name: string): ProfileSummary {
    const p = this.profiles.find((x) => x.name === name);
    if (!p) throw mockError("notFound", `no saved cluster named "${name}"`);
    return p;
  }

  importKubeconfig(path: string | null): never {
    this.importsAsked += 1;
    throw path
      ? mockError("local", `cannot read ${path}: the browser preview has no file access`, "run the Podterm app to import a kubeconfig")
      : mockError("local", "no kubeconfig could be read: the browser preview has no file access", "run the Podterm app, or use the Demo cluster");
  }

  pick(): string | null {
    this.dialogsAnswered += 1;
    return this.pickedFile;
  }

  actAs(name: string, user: string | null): void {
    this.require(name).actsAs = user;
  }

  details(name: string): ProfileDetails {
    const p = this.require(name);
    const extra = this.extras.get(name);
    return {
      name: p.name,
      server: p.server,
      namespace: p.namespace,
      caPem: extra?.caPem ?? null,
      caFile: extra?.caFile ?? null,
      insecure: p.insecure,
      authKind: p.authKind,
      hasToken: extra?.hasToken ?? false,
      keepaliveSecs: extra?.keepaliveSecs ?? null,
      deadLinkSecs: extra?.deadLinkSecs ?? null,
      colour: p.colour,
      production: p.production,
      clientCert: extra?.clientCert ?? null,
      hasClientKey: extra?.hasClientKey ?? false,
      clientKeyFile: extra?.clientKeyFile ?? null,
      execCommand: p.authKind === "exec plugin" ? "aws eks get-token --cluster-name prod --role-arn ***" : null,
      oidc: null,
      reconnect: p.reconnect,
      recordSessions: p.recordSessions,
      recordFolder: extra?.recordFolder ?? null,
      recordInput: extra?.recordInput ?? false,
    };
  }

  /** Adds or updates a profile typed by hand, as podterm_core::manual validates. */
  save(input: ManualProfile): ProfileSummary {
    const invalid = (message: string) => mockError("invalidInput", message);
    const name = input.name.trim();
    if (!name) throw invalid("give the profile a name");
    const rest = input.server.trim().match(/^https:\/\/(.*)$/i)?.[1];
    if (rest === undefined) throw invalid("the server must be an https:// URL, e.g. https://10.0.0.1:6443");
    if (!rest || /\s/.test(rest)) throw invalid("the server URL names no host, or has spaces in it");
    const caPem = input.caPem?.trim() || null;
    if (caPem && !caPem.includes("-----BEGIN CERTIFICATE-----")) {
      throw invalid(
        "the CA certificate must be PEM (-----BEGIN CERTIFICATE----- …), as in a kubeconfig's certificate-authority-data decoded",
      );
    }
    const caFile = input.caFile?.trim() || null;
    if (caPem && caFile) throw invalid("give the CA certificate either as PEM or as a file path, not both");
    const oldFile = input.original === null ? null : (this.extras.get(input.original)?.caFile ?? null);
    if (caFile && caFile !== oldFile && !caFile.startsWith("/")) {
      throw invalid("the CA certificate file must be an absolute path, e.g. /etc/kubernetes/pki/ca.crt");
    }
    const old = input.original === null ? undefined : this.require(input.original);
    if (name !== input.original && this.profiles.some((p) => p.name === name)) {
      throw invalid(`a profile named "${name}" already exists: pick another name`);
    }
    const before = input.original === null ? undefined : this.extras.get(input.original);
    const certGiven = Boolean(input.clientCert || input.clientKey || input.clientKeyFile);
    if (certGiven && input.token) throw invalid("give either a bearer token or a client certificate and key, not both");
    const clientCert = input.clientCert ?? before?.clientCert ?? null;
    const hasKey = Boolean(input.clientKey) || Boolean(input.clientKeyFile) || Boolean(before?.hasClientKey || before?.clientKeyFile);
    if (certGiven && !clientCert) throw invalid("a client key needs its certificate: paste the certificate (PEM) or give its file");
    if (certGiven && !hasKey) throw invalid("a client certificate needs its private key: paste the key (PEM) or give its file");
    if (input.clientKey && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input.clientKey)) {
      throw invalid("the private key must be PEM (-----BEGIN … PRIVATE KEY-----), or give its file's path instead");
    }
    const hadToken = before?.hasToken ?? false;
    const hasToken = !certGiven && (input.token !== null || hadToken);
    const saved: ProfileSummary = {
      name,
      server: `https://${rest}`,
      authKind: certGiven ? "client certificate" : input.token !== null ? "token" : (old?.authKind ?? "none"),
      insecure: input.insecure,
      namespace: input.namespace?.trim() || null,
      colour: input.colour ?? null,
      production: input.production,
      reconnect: input.reconnect,
      recordSessions: input.recordSessions,
      // Whom it acts as comes from an import; a save by hand keeps it, as the app does.
      actsAs: old?.actsAs ?? null,
    };
    const recordFolder = input.recordFolder?.trim() || null;
    if (recordFolder && !recordFolder.startsWith("/")) {
      throw invalid(`the recordings folder must be an absolute path ("${recordFolder}"): choose it with Choose…, or leave it empty for the default`);
    }
    if (old) {
      this.profiles = this.profiles.map((p) => (p === old ? saved : p));
      this.extras.delete(old.name);
    } else {
      this.profiles.push(saved);
    }
    this.extras.set(name, {
      caPem,
      caFile,
      hasToken,
      keepaliveSecs: input.keepaliveSecs ?? null,
      deadLinkSecs: input.deadLinkSecs ?? null,
      clientCert: certGiven ? clientCert : input.token !== null ? null : (before?.clientCert ?? null),
      hasClientKey: certGiven ? Boolean(input.clientKey) || (!input.clientKeyFile && Boolean(before?.hasClientKey)) : input.token !== null ? false : (before?.hasClientKey ?? false),
      clientKeyFile: certGiven ? (input.clientKeyFile ?? (input.clientKey ? null : (before?.clientKeyFile ?? null))) : input.token !== null ? null : (before?.clientKeyFile ?? null),
      recordFolder,
      recordInput: input.recordInput,
    });
    return { ...saved };
  }

  delete(name: string): void {
    this.require(name);
    this.profiles = this.profiles.filter((p) => p.name !== name);
    this.extras.delete(name);
  }

  /** A profile saved before the page started (MOCK_PROFILES_AT_START_KEY), as it was. */
  keep(p: ProfileSummary): void {
    this.profiles = [...this.profiles.filter((x) => x.name !== p.name), { ...p }];
  }

  /** The Demo profile, saved if it was not. */
  demo(): ProfileSummary {
    if (!this.profiles.some((p) => p.name === DEMO_PROFILE.name)) this.profiles.push({ ...DEMO_PROFILE });
    return { ...DEMO_PROFILE };
  }
}
