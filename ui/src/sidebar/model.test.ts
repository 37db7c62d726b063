import { describe, expect, it, onTestFinished, vi } from "vitest";
import { pod } from "./fixtures";
import { fakeBackend as fakeCommands } from "../ipc/fake";
import type { PodChange, ProfileSummary, WatchStatus } from "../ipc/types";
import type { SessionTarget } from "../terminal/tabs";
import { FavouritesModel } from "../favourites/model";
import { SidebarModel } from "./model";
import { ALL_NAMESPACES, cappedWords } from "./pods";

function fakeBackend(
  opts: {
    profiles?: ProfileSummary[];
    failNamespaces?: string;
    failImport?: string;
    picked?: string | null;
    /** Profiles whose pod lists the cluster refuses (403), as the engine reports it. */
    refusePods?: Set<string>;
  } = {},
) {
  let profiles = [...(opts.profiles ?? [])];
  const calls: string[] = [];
  const watches = new Map<number, (e: PodChange[]) => void>();
  const statuses = new Map<number, (s: WatchStatus) => void>();
  let nextWatch = 1;
  const backend = fakeCommands({
    listProfiles: async () => (calls.push("listProfiles"), [...profiles]),
    importKubeconfig: async (path) => {
      calls.push(`import ${path}`);
      if (opts.failImport) throw opts.failImport;
      const p = { name: "kind-dev", server: "https://127.0.0.1:40000", authKind: "client-certificate", insecure: false, namespace: null, colour: null, production: false, reconnect: false, recordSessions: false, actsAs: null };
      // The engine replaces a profile of the same name.
      const at = profiles.findIndex((x) => x.name === p.name);
      if (at >= 0) profiles[at] = p;
      else profiles.push(p);
      return [p];
    },
    profileDetails: async (name) => {
      calls.push(`details ${name}`);
      const p = profiles.find((x) => x.name === name)!;
      return { ...p, caPem: null, caFile: null, hasToken: true, keepaliveSecs: null, deadLinkSecs: null, clientCert: null, hasClientKey: false, clientKeyFile: null, execCommand: null, oidc: null, reconnect: false, recordSessions: false, recordFolder: null, recordInput: false };
    },
    saveProfile: async (input) => {
      calls.push(`save ${input.original} → ${input.name}`);
      if (!input.server.startsWith("https://")) throw "the server must be an https:// URL";
      const p = { name: input.name, server: input.server, authKind: "token", insecure: input.insecure, namespace: input.namespace, colour: input.colour ?? null, production: input.production, reconnect: input.reconnect, recordSessions: input.recordSessions, actsAs: null };
      profiles = [...profiles.filter((x) => x.name !== input.original), p];
      return p;
    },
    pickKubeconfig: async () => (calls.push("pick"), opts.picked ?? null),
    deleteProfile: async (name) => {
      calls.push(`delete ${name}`);
      profiles = profiles.filter((p) => p.name !== name);
    },
    demoProfile: async () => {
      const p = { name: "demo", server: "https://127.0.0.1:6443", authKind: "token", insecure: false, namespace: "demo", colour: null, production: false, reconnect: false, recordSessions: false, actsAs: null };
      profiles.push(p);
      return p;
    },
    listNamespaces: async (profile) => {
      calls.push(`ns ${profile}`);
      if (opts.failNamespaces) throw { message: opts.failNamespaces };
      return ["kube-system", "demo", "default"];
    },
    watchPods: async (profile, namespace, onEvent, onStatus) => {
      if (opts.refusePods?.has(profile)) {
        calls.push(`watch ${profile}/${namespace} refused`);
        throw { kind: "refused", message: `Error from server (Forbidden): pods is forbidden: User "me" cannot list resource "pods" in the namespace "${namespace}"`, hint: null };
      }
      const id = nextWatch++;
      calls.push(`watch ${profile}/${namespace} #${id}`);
      watches.set(id, onEvent);
      if (onStatus) statuses.set(id, onStatus);
      return id;
    },
    watchAllPods: async (profile, onEvent, onStatus) => {
      const id = nextWatch++;
      calls.push(`watch ${profile}/* #${id}`);
      watches.set(id, onEvent);
      if (onStatus) statuses.set(id, onStatus);
      return id;
    },
    stopWatch: async (id) => {
      calls.push(`stop #${id}`);
      watches.delete(id);
    },
    openSession: async () => 1,
    sendInput: async () => {},
    resize: async () => {},
    ack: async () => {},
    closeSession: async () => {},
    listFavourites: async () => [],
    renameFavourite: async () => {},
    deleteFavourite: async () => {},
    reorderFavourites: async () => {},
    watchRequests: async () => {},
    openUrl: async () => {},
  });
  return {
    backend,
    calls,
    watches,
    emit: (id: number, e: PodChange) => watches.get(id)?.([e]),
    emitAll: (id: number, es: PodChange[]) => watches.get(id)?.(es),
    status: (id: number, s: WatchStatus) => statuses.get(id)?.(s),
  };
}

const demoProfile: ProfileSummary = { name: "demo", server: "https://127.0.0.1:6443", authKind: "token", insecure: false, namespace: "demo", colour: null, production: false, reconnect: false, recordSessions: false, actsAs: null };

describe("SidebarModel", () => {
  it("first run: no profiles, then the Demo cluster selects its namespace and watches it", async () => {
    const f = fakeBackend();
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.profilesLoaded).toBe(true);
    expect(m.profiles).toEqual([]);
    expect(m.profile).toBeNull();
    await m.addDemo();
    expect(m.profile).toBe("demo");
    expect(m.namespaces).toEqual(["default", "demo", "kube-system"]);
    expect(m.namespace).toBe("demo");
    expect(f.calls).toContain("watch demo/demo #1");
  });

  it("all namespaces: one watch across them; rows keep their namespace; a tab opens in the pod's own", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const opened: SessionTarget[] = [];
    const deleted: string[] = [];
    const m = new SidebarModel(f.backend, (t) => opened.push(t), null, { podDeleted: (p, ns, pod) => deleted.push(`${p}/${ns}/${pod}`) });
    await m.loadProfiles();
    await m.selectNamespace(ALL_NAMESPACES);
    expect(f.calls).toContain("watch demo/* #2");
    expect(m.allNamespaces).toBe(true);
    expect(m.namespaces).not.toContain(ALL_NAMESPACES);
    f.emit(2, { type: "Added", pod: pod("app", { namespace: "team-a" }) });
    f.emit(2, { type: "Added", pod: pod("app", { namespace: "team-b" }) });
    expect(m.visiblePods().map((p) => m.podRef(p))).toEqual(["team-a/app", "team-b/app"]);
    m.togglePicker("team-b/app");
    expect(m.picker?.pod).toBe("team-b/app");
    m.openPicked();
    expect(opened).toEqual([{ profile: "demo", namespace: "team-b", pod: "app", container: "main", command: null }]);
    m.openDefault("team-a/app");
    expect(opened[1]).toMatchObject({ namespace: "team-a", pod: "app" });
    // Open by name needs a namespace.
    expect(m.openByName("app")).toBeNull();
    expect(m.error).toMatch(/choose a namespace first/);
    f.emit(2, { type: "Deleted", pod: pod("app", { namespace: "team-a" }) });
    expect(deleted).toEqual(["demo/team-a/app"]);
    expect(m.visiblePods().map((p) => m.podRef(p))).toEqual(["team-b/app"]);
  });

  it("the pod list's order is chosen and remembered", async () => {
    const items = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    });
    onTestFinished(() => {
      vi.unstubAllGlobals();
    });
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("b-old", { createdAt: "2025-01-01T00:00:00Z" }) });
    f.emit(1, { type: "Added", pod: pod("a-new", { createdAt: "2025-01-09T00:00:00Z" }) });
    f.emit(1, { type: "Added", pod: pod("c-crash", { reason: "not Ready: container main waiting: CrashLoopBackOff" }) });
    expect(m.visiblePods().map((p) => p.name)).toEqual(["a-new", "b-old", "c-crash"]);
    m.setSort("age");
    expect(m.visiblePods().map((p) => p.name)).toEqual(["c-crash", "a-new", "b-old"]);
    m.setSort("status");
    expect(m.visiblePods().map((p) => p.name)).toEqual(["c-crash", "a-new", "b-old"]);
    f.emit(1, { type: "Modified", pod: pod("b-old", { createdAt: "2025-01-01T00:00:00Z", restarts: 4 }) });
    m.setSort("restarts");
    expect(m.visiblePods().map((p) => p.name)).toEqual(["b-old", "a-new", "c-crash"]);
    // Remembered: a new sidebar (the next start) lists by restarts too.
    expect(new SidebarModel(f.backend, () => {}).sort).toBe("restarts");
  });

  it("a batch of changes (a first list) is applied whole and drawn once", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    let renders = 0;
    m.onChange(() => renders++);
    await m.loadProfiles();
    const before = renders;
    f.emitAll(1, [
      { type: "Added", pod: pod("web") },
      { type: "Added", pod: pod("shell") },
      { type: "Added", pod: pod("db") },
    ]);
    expect(renders).toBe(before + 1);
    expect(m.visiblePods().map((p) => p.name)).toEqual(["db", "shell", "web"]);
    f.emitAll(1, [
      { type: "Deleted", pod: pod("db") },
      { type: "Modified", pod: pod("web", { restarts: 3 }) },
    ]);
    expect(renders).toBe(before + 2);
    expect(m.visiblePods().map((p) => p.name)).toEqual(["shell", "web"]);
    expect(m.pods.get("web")?.restarts).toBe(3);
  });

  it("live updates come from the current watch only", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    let renders = 0;
    m.onChange(() => renders++);
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("shell") });
    f.emit(1, { type: "Added", pod: pod("web") });
    expect(m.visiblePods().map((p) => p.name)).toEqual(["shell", "web"]);
    const before = renders;
    f.emit(1, { type: "Modified", pod: pod("web", { restarts: 2 }) });
    expect(renders).toBe(before + 1);
    expect(m.pods.get("web")?.restarts).toBe(2);
    await m.selectNamespace("default");
    expect(f.calls).toContain("stop #1");
    expect(m.pods.size).toBe(0);
    f.emit(1, { type: "Added", pod: pod("stale") }); // the old watch is stopped; nothing shows
    expect(m.pods.size).toBe(0);
    f.emit(2, { type: "Added", pod: pod("hello", { namespace: "default" }) });
    expect(m.visiblePods().map((p) => p.name)).toEqual(["hello"]);
    m.setFilter("nothing-matches");
    expect(m.visiblePods()).toEqual([]);
  });

  it("a broken watch says why until it is back; a new watch starts live", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.watchProblem).toBeNull();
    f.status(1, { kind: "broken", reason: "cannot reach the API server: connection refused" });
    expect(m.watchProblem).toBe("cannot reach the API server: connection refused");
    f.status(1, { kind: "live" });
    expect(m.watchProblem).toBeNull();
    f.status(1, { kind: "broken", reason: "gone" });
    await m.selectNamespace("default");
    expect(m.watchProblem).toBeNull(); // the new namespace's watch is live
    f.status(1, { kind: "broken", reason: "stale" }); // the old watch: ignored
    expect(m.watchProblem).toBeNull();
  });

  it("a list that left pods out says so until another list starts, whatever the watch says", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.podsCapped).toBeNull();
    f.status(1, { kind: "capped", limit: 50000 });
    expect([m.podsCapped, m.watchProblem]).toEqual([50000, null]);
    f.status(1, { kind: "broken", reason: "gone" });
    f.status(1, { kind: "live" });
    expect([m.podsCapped, m.watchProblem]).toEqual([50000, null]);
    await m.selectNamespace("default");
    expect(m.podsCapped).toBeNull();
    expect(cappedWords(50000, true)).toBe(
      "50,000 pods listed, the most a list holds; the others are left out: pick a namespace to list its own.",
    );
    expect(cappedWords(50000, false)).toBe(
      "50,000 pods listed, the most a list holds; the others are left out: open one by its name above.",
    );
  });

  it("picker: default container preselected, command parsed, opens a tab", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const opened: SessionTarget[] = [];
    const m = new SidebarModel(f.backend, (t) => opened.push(t));
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("web", { containers: ["log-shipper", "nginx"], defaultContainer: "nginx" }) });
    m.togglePicker("web");
    expect(m.picker).toEqual({ pod: "web", container: "nginx", command: "" });
    m.setCommand("ls -l /");
    m.openPicked();
    expect(opened).toEqual([{ profile: "demo", namespace: "demo", pod: "web", container: "nginx", command: ["ls", "-l", "/"] }]);
    expect(m.picker).toBeNull();
    m.togglePicker("web");
    m.openPicked("log-shipper");
    expect(opened[1]).toMatchObject({ container: "log-shipper", command: null });
    // Clicking the same pod twice closes the picker.
    m.togglePicker("web");
    m.togglePicker("web");
    expect(m.picker).toBeNull();
    // A deleted pod closes its picker.
    m.togglePicker("web");
    f.emit(1, { type: "Deleted", pod: pod("web") });
    expect(m.picker).toBeNull();
  });

  it("a picker opening tells the workspace a tab is likely next (its terminal is made then); closing it does not", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    let signs = 0;
    const m = new SidebarModel(f.backend, () => {}, null, { pickerOpened: () => (signs += 1) });
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("web", { containers: ["nginx"], defaultContainer: "nginx" }) });
    m.togglePicker("web");
    expect(signs).toBe(1);
    m.togglePicker("web"); // closed
    m.togglePicker("nope"); // no such pod: nothing opens
    expect(signs).toBe(1);
    expect(m.pickFor({ profile: "demo", namespace: "demo", pod: "web", container: "nginx", command: null })).toBe(true);
    expect(signs).toBe(2);
  });

  it("a completed pod opens a tab (the engine refuses it in kubectl's words and the tab offers a copy); a Pending one is refused before", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const opened: SessionTarget[] = [];
    const m = new SidebarModel(f.backend, (t) => opened.push(t));
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("job", { phase: "Succeeded" }) });
    f.emit(1, { type: "Added", pod: pod("waiting", { phase: "Pending" }) });
    expect(m.openDefault("job")?.pod).toBe("job");
    expect(opened.map((t) => t.pod)).toEqual(["job"]);
    expect(m.error).toBeNull();
    expect(m.openDefault("waiting")).toBeNull();
    expect(opened.map((t) => t.pod)).toEqual(["job"]);
    expect(m.error).toContain("Pending");
  });

  it("errors are put in plain words with what failed", async () => {
    const f = fakeBackend({ profiles: [demoProfile], failNamespaces: 'namespaces is forbidden: User "viewer" cannot list resource "namespaces"' });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.error).toBe('Could not list the namespaces of demo: namespaces is forbidden: User "viewer" cannot list resource "namespaces"');
    // …and the profile's own namespace is still watched.
    expect(m.namespace).toBe("demo");
    expect(f.calls).toContain("watch demo/demo #1");

    const g = fakeBackend({ failImport: "~/.kube/config: no such file" });
    const m2 = new SidebarModel(g.backend, () => {});
    await m2.loadProfiles();
    await m2.importKubeconfig(null);
    expect(m2.error).toBe("Could not import ~/.kube/config: ~/.kube/config: no such file");
    expect(m2.busy).toBeNull();
  });

  it("'Connecting to …' goes when a newer selection or a reset supersedes it", async () => {
    const f = fakeBackend({ profiles: [demoProfile, { ...demoProfile, name: "slow" }] });
    const gates: Array<() => void> = [];
    const listNamespaces = f.backend.listNamespaces;
    f.backend.listNamespaces = async (profile) => {
      if (profile === "slow") await new Promise<void>((r) => gates.push(r));
      return listNamespaces(profile);
    };
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.profile).toBe("demo");
    // A slow connect superseded by a namespace picked meanwhile: busy goes at once.
    const slow = m.selectProfile("slow");
    expect(m.busy).toBe("Connecting to slow…");
    await m.selectNamespace("default");
    expect(m.busy).toBeNull();
    gates.shift()!();
    await slow;
    expect(m.busy).toBeNull();
    // Superseded by a quick selection: the newer answer clears it; the stale answer leaves it be.
    const slow2 = m.selectProfile("slow");
    await m.selectProfile("demo");
    expect(m.busy).toBeNull();
    const slow3 = m.selectProfile("slow");
    gates.shift()!();
    await slow2;
    expect(m.busy).toBe("Connecting to slow…"); // slow3's own, still waiting
    gates.shift()!();
    await slow3;
    expect(m.busy).toBeNull();
    expect(m.profile).toBe("slow");
    // A reset (the profile deleted) while connecting: busy goes, first-run buttons work again.
    const slow4 = m.selectProfile("slow");
    await m.deleteProfile("slow");
    expect(m.busy).toBeNull();
    gates.shift()!();
    await slow4;
    expect(m.busy).toBeNull();
  });

  it("import selects the first imported profile; delete falls back", async () => {
    const f = fakeBackend();
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    await m.importKubeconfig(null);
    expect(m.profile).toBe("kind-dev");
    expect(m.notice).toBe("Import of ~/.kube/config: added kind-dev.");
    expect(m.namespace).toBe("default"); // no namespace in the profile
    // Imported again: the same cluster replaced, not a new one.
    await m.importKubeconfig(null);
    expect(m.notice).toBe("Import of ~/.kube/config: updated kind-dev.");
    await m.addDemo();
    expect(m.profile).toBe("demo");
    await m.deleteProfile("demo");
    expect(m.profiles.map((p) => p.name)).toEqual(["kind-dev"]);
    expect(m.profile).toBe("kind-dev");
  });

  it("saving a profile typed by hand lists the profiles again and selects it", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    const input = { original: null, name: "staging", server: "https://10.0.0.1:6443", namespace: "kube-system", caPem: null, caFile: null, insecure: false, token: "t0k", production: false, reconnect: false, recordSessions: false, recordInput: false };
    await m.saveProfile(input);
    expect(m.profiles.map((p) => p.name)).toEqual(["demo", "staging"]);
    expect(m.profile).toBe("staging");
    expect(m.notice).toBe("Added staging.");
    // The save resolves once saved; its pods are listed after it.
    await vi.waitFor(() => expect(m.namespace).toBe("kube-system"));
    // Another namespace chosen, then an edit of the cluster shown: connected again in it, not
    // sent back to the cluster's own namespace.
    await m.selectNamespace("default");
    const watches = () => f.calls.filter((c) => c.startsWith("watch staging/default")).length;
    const before = watches();
    await m.saveProfile({ ...input, original: "staging", token: null, recordSessions: true });
    await vi.waitFor(() => expect(watches()).toBe(before + 1));
    expect([m.profile, m.namespace]).toEqual(["staging", "default"]);
    // A rename: the old name is gone, the new one selected.
    expect(await m.profileDetails("staging")).toMatchObject({ name: "staging", hasToken: true });
    await m.saveProfile({ ...input, original: "staging", name: "prod", token: null });
    expect(m.profiles.map((p) => p.name)).toEqual(["demo", "prod"]);
    expect(m.profile).toBe("prod");
    expect(m.notice).toBe("Saved prod.");
    await vi.waitFor(() => expect(m.namespace).toBe("default"));
    // Another cluster edited: the one shown stays, in its namespace.
    await m.saveProfile({ ...input, original: null, name: "other", namespace: "x" });
    await vi.waitFor(() => expect(m.profile).toBe("other"));
    await m.selectProfile("prod");
    await m.selectNamespace("default");
    await m.saveProfile({ ...input, original: "other", name: "other", namespace: "y", token: null });
    expect([m.profile, m.namespace]).toEqual(["prod", "default"]);
    expect(m.profiles.map((p) => p.name)).toEqual(["demo", "prod", "other"]);
    expect(f.calls).toContain("save staging → prod");
    // Bad input: the rejection is the caller's (the form's) to show; nothing changes.
    await expect(m.saveProfile({ ...input, server: "http://x" })).rejects.toBe("the server must be an https:// URL");
    expect(m.profile).toBe("prod");
    expect(m.error).toBeNull();
  });

  it("choosing a kubeconfig file imports it; a cancelled dialog does nothing", async () => {
    const cancelled = fakeBackend();
    const m1 = new SidebarModel(cancelled.backend, () => {});
    await m1.loadProfiles();
    await m1.chooseKubeconfig();
    expect(cancelled.calls.filter((c) => c.startsWith("pick") || c.startsWith("import"))).toEqual(["pick"]);
    expect(m1.busy).toBeNull();
    expect(m1.notice).toBeNull();

    const f = fakeBackend({ picked: "/home/me/dev.yaml" });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    await m.chooseKubeconfig();
    expect(f.calls).toContain("import /home/me/dev.yaml");
    expect(m.notice).toBe("Import of /home/me/dev.yaml: added kind-dev.");
    expect(m.profile).toBe("kind-dev");
  });
});

describe("a sidebar for a whole working day", () => {
  const prod: ProfileSummary = { name: "prod", server: "https://prod:6443", authKind: "token", insecure: false, namespace: "default", colour: null, production: false, reconnect: false, recordSessions: false, actsAs: null };

  it("one profile's refusal goes when another is chosen, and the list says it is unknown, not empty", async () => {
    const refusePods = new Set(["prod"]);
    const f = fakeBackend({ profiles: [prod, demoProfile], refusePods });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    expect(m.profile).toBe("prod");
    expect(m.error).toMatch(/^Could not list the pods in default: Error from server \(Forbidden\)/);
    expect(m.podsUnlisted).toBe("forbidden");
    await m.selectProfile("demo");
    expect(m.error).toBeNull();
    expect(m.podsUnlisted).toBeNull();
    // An error about no one profile (an import's) stays across a switch.
    const g = fakeBackend({ profiles: [prod, demoProfile], failImport: "no such file" });
    const n = new SidebarModel(g.backend, () => {});
    await n.loadProfiles();
    await n.importKubeconfig("/nope");
    await n.selectProfile("demo");
    expect(n.error).toMatch(/^Could not import \/nope/);
  });

  it("a failed star's error is its cluster's: it goes when another is chosen", async () => {
    const f = fakeBackend({ profiles: [prod, demoProfile] });
    const favourites = new FavouritesModel(
      fakeCommands({
        addFavourite: async () => {
          throw { kind: "notFound", message: 'pods "web-0" not found', hint: null };
        },
      }),
      { open: () => {} },
    );
    const m = new SidebarModel(f.backend, () => {}, favourites);
    await m.loadProfiles();
    expect(m.profile).toBe("prod");
    await m.starPod("web-0");
    expect(m.error).toBe('Could not favourite web-0: pods "web-0" not found');
    await m.selectProfile("demo");
    expect(m.error).toBeNull();
    m.dispose();
    favourites.dispose();
  });

  it("re-importing the credentials of the profile shown lists its pods again", async () => {
    const refusePods = new Set(["kind-dev"]);
    const f = fakeBackend({ profiles: [], refusePods });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    await m.importKubeconfig(null);
    expect(m.podsUnlisted).toBe("forbidden");
    refusePods.clear(); // the new credentials may list pods
    await m.importKubeconfig(null);
    expect(m.profile).toBe("kind-dev");
    expect(m.podsUnlisted).toBeNull();
    expect(f.calls.filter((c) => c.startsWith("watch kind-dev/"))).toEqual(["watch kind-dev/default refused", "watch kind-dev/default #1"]);
  });

  it("a typed namespace is listed and joins the choices", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const m = new SidebarModel(f.backend, () => {});
    await m.loadProfiles();
    await m.selectNamespace("team-a");
    expect(m.namespace).toBe("team-a");
    expect(m.namespaces).toContain("team-a");
    expect(f.calls).toContain("watch demo/team-a #2");
  });

  it("open by name: a listed pod with its default container, an unlisted one as typed, a bad name explained", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const opened: SessionTarget[] = [];
    const m = new SidebarModel(f.backend, (t) => opened.push(t));
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("web", { containers: ["sidecar", "nginx"], defaultContainer: "nginx" }) });
    f.emit(1, { type: "Added", pod: pod("stuck", { phase: "Pending", ready: "0/1", reason: "Pending: ContainerCreating" }) });
    expect(m.openByName(" web ")).toEqual({ profile: "demo", namespace: "demo", pod: "web", container: "nginx", command: null });
    expect(m.openByName("secret-pod/app")?.container).toBe("app");
    expect(m.openByName("secret-pod")?.container).toBe("");
    expect(opened.length).toBe(3);
    expect(m.openByName("Not A Pod")).toBeNull();
    expect(m.error).toMatch(/is not a pod name/);
    expect(m.openByName("stuck")).toBeNull();
    expect(m.error).toMatch(/stuck is Pending \(ContainerCreating\): its containers are not running yet/);
    expect(opened.length).toBe(3);
  });

  it("a pod deleted from the list is reported (its tabs end)", async () => {
    const f = fakeBackend({ profiles: [demoProfile] });
    const gone: string[] = [];
    const m = new SidebarModel(f.backend, () => {}, null, { podDeleted: (p, ns, name) => gone.push(`${p}/${ns}/${name}`) });
    await m.loadProfiles();
    f.emit(1, { type: "Added", pod: pod("web") });
    f.emit(1, { type: "Deleted", pod: pod("web") });
    f.emit(1, { type: "Deleted", pod: pod("never-listed") });
    expect(gone).toEqual(["demo/demo/web"]);
  });
});
