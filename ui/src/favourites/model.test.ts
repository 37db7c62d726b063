import { describe, expect, it, vi } from "vitest";
import type { Backend } from "../ipc";
import { createMock } from "../ipc/mock";
import type { AppRequest, FavouriteSummary, ResolvedFavourite } from "../ipc/types";
import { SidebarModel } from "../sidebar/model";
import { setDebugImage } from "../terminal/debug";
import { isDebugTarget, TabModel } from "../terminal/tabs";
import { placeholderTarget } from "./favourite";
import { FavouritesModel, resolveForTab } from "./model";

function fav(name: string, extra: Partial<FavouriteSummary> = {}): FavouriteSummary {
  return { name, profile: "demo", namespace: "demo", kind: "deployment", target: name, container: null, command: [], debug: false, ...extra };
}

/** Who runs the fake backend's pods (as the backend would find from their owners). */
const FAKE_WORKLOADS: Record<string, string> = { "web-7c9d6b5f4-kx2lp": "web", "web-1-2": "web" };

/** A fake backend for favourites: records calls, answers from a list, fails on demand. */
function fakeBackend(initial: FavouriteSummary[] = []) {
  let list = initial.map((f) => ({ ...f }));
  const calls: string[] = [];
  const fail: Record<string, string> = {};
  const resolveTo: ResolvedFavourite[] = [];
  let sink: ((r: AppRequest) => void) | null = null;
  const check = (what: string) => {
    if (fail[what]) throw fail[what];
  };
  const backend = {
    kind: "mock",
    listFavourites: async () => (calls.push("list"), check("list"), list.map((f) => ({ ...f }))),
    addFavourite: async (profile: string, namespace: string, pod: string, container: string | null) => {
      calls.push(`add ${profile}/${namespace}/${pod} ${container}`);
      check("add");
      const f = fav(FAKE_WORKLOADS[pod] ?? pod, { profile, namespace, container });
      list.push(f);
      return { ...f };
    },
    renameFavourite: async (name: string, newName: string) => {
      calls.push(`rename ${name} → ${newName}`);
      check("rename");
      const f = list.find((x) => x.name === name)!;
      f.name = newName;
    },
    deleteFavourite: async (name: string) => {
      calls.push(`delete ${name}`);
      check("delete");
      list = list.filter((f) => f.name !== name);
    },
    reorderFavourites: async (names: string[]) => {
      calls.push(`reorder ${names.join(",")}`);
      check("reorder");
      list = names.map((n) => list.find((f) => f.name === n)!);
    },
    resolveFavourite: async (name: string) => {
      calls.push(`resolve ${name}`);
      check("resolve");
      const r = resolveTo.shift();
      if (!r) throw `no answer for ${name}`;
      return r;
    },
    watchRequests: async (onRequest: (r: AppRequest) => void) => {
      calls.push("watch");
      sink = onRequest;
    },
  } as unknown as Backend;
  return {
    backend,
    calls,
    fail,
    resolveTo,
    list: () => list,
    send: (r: AppRequest) => sink?.(r),
  };
}

const resolved = (pod: string, extra: Partial<ResolvedFavourite> = {}): ResolvedFavourite => ({
  name: "web",
  profile: "demo",
  namespace: "demo",
  pod,
  container: "nginx",
  command: null,
  debug: false,
  unready: null,
  ...extra,
});

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("FavouritesModel", () => {
  it("add, rename, reorder and delete call the backend and read the list again", async () => {
    const f = fakeBackend([fav("db", { kind: "statefulset" })]);
    const renamed: string[] = [];
    const m = new FavouritesModel(f.backend, { open: () => {}, renamed: (a, b) => renamed.push(`${a}→${b}`) });
    await m.load();
    expect(m.loaded).toBe(true);
    expect(m.list.map((x) => x.name)).toEqual(["db"]);

    const added = await m.add("demo", "demo", "web-7c9d6b5f4-kx2lp", null);
    expect(added.name).toBe("web");
    expect(m.highlight).toBe("web");
    expect(m.list.map((x) => x.name)).toEqual(["db", "web"]);

    expect(await m.rename("web", "  front  ")).toBe(true);
    expect(renamed).toEqual(["web→front"]);
    expect(m.highlight).toBe("front");
    expect(await m.rename("front", "front")).toBe(true); // unchanged: no call
    expect(m.list.map((x) => x.name)).toEqual(["db", "front"]);

    const moving = m.move("front", -1);
    expect(m.list.map((x) => x.name)).toEqual(["front", "db"]); // shown at once
    expect(await moving).toBe(true);
    expect(await m.move("front", -1)).toBe(false); // already first: no call

    expect(await m.remove("db")).toBe(true);
    expect(m.list.map((x) => x.name)).toEqual(["front"]);
    expect(f.calls).toEqual([
      "list",
      "add demo/demo/web-7c9d6b5f4-kx2lp null",
      "list",
      "rename web → front",
      "list",
      "reorder front,db",
      "delete db",
      "list",
    ]);
    expect(m.error).toBeNull();
    m.dispose();
  });

  it("a refused change says what failed, and the list is read again", async () => {
    const f = fakeBackend([fav("web"), fav("db")]);
    const m = new FavouritesModel(f.backend, { open: () => {} });
    await m.load();
    f.fail.rename = 'a favourite named "db" already exists: pick another name, or remove it first';
    expect(await m.rename("web", "db")).toBe(false);
    expect(m.error).toBe('Could not rename web: a favourite named "db" already exists: pick another name, or remove it first');
    f.fail.reorder = "the new order must name every favourite exactly once: missing x";
    expect(await m.move("db", -1)).toBe(false);
    expect(m.error).toMatch(/^Could not reorder the favourites: the new order/);
    expect(m.list.map((x) => x.name)).toEqual(["web", "db"]); // back to the backend's order
    f.fail.delete = 'no favourite named "web"; the favourites are: db';
    expect(await m.remove("web")).toBe(false);
    expect(m.error).toBe('Could not delete web: no favourite named "web"; the favourites are: db');
    m.dismissError();
    expect(m.error).toBeNull();
    f.fail.add = 'pods "gone" not found';
    await expect(m.add("demo", "demo", "gone", null)).rejects.toBe('pods "gone" not found');
    m.dispose();
  });

  it("a new favourite is highlighted for a moment, under its new name too", async () => {
    vi.useFakeTimers();
    try {
      const f = fakeBackend();
      const m = new FavouritesModel(f.backend, { open: () => {} });
      await m.add("demo", "demo", "web-1-2", null);
      expect(m.highlight).toBe("web");
      await m.rename("web", "front");
      expect(m.highlight).toBe("front");
      await vi.advanceTimersByTimeAsync(3000);
      expect(m.highlight).toBeNull();
      m.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it("moves made quickly one after the other all reach the backend, in order", async () => {
    const f = fakeBackend([fav("a"), fav("b"), fav("c")]);
    const m = new FavouritesModel(f.backend, { open: () => {} });
    await m.load();
    const first = m.move("c", -1);
    const second = m.move("c", -1);
    expect(m.list.map((x) => x.name)).toEqual(["c", "a", "b"]);
    await Promise.all([first, second]);
    expect(f.list().map((x) => x.name)).toEqual(["c", "a", "b"]);
    expect(m.list.map((x) => x.name)).toEqual(["c", "a", "b"]);
    m.dispose();
  });

  it("a move made while an earlier one is still being saved is kept (slow backend)", async () => {
    const f = fakeBackend([fav("a"), fav("b"), fav("c")]);
    const reorder = f.backend.reorderFavourites.bind(f.backend);
    f.backend.reorderFavourites = async (names: string[]) => {
      await new Promise((r) => setTimeout(r, 20));
      return reorder(names);
    };
    const m = new FavouritesModel(f.backend, { open: () => {} });
    await m.load();
    const first = m.move("c", -1);
    expect(m.list.map((x) => x.name)).toEqual(["a", "c", "b"]);
    await flush(); // the first reorder is on its way
    const second = m.move("c", -1);
    expect(m.list.map((x) => x.name)).toEqual(["c", "a", "b"]);
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(f.calls.filter((c) => c.startsWith("reorder"))).toEqual(["reorder a,c,b", "reorder c,a,b"]);
    expect(f.list().map((x) => x.name)).toEqual(["c", "a", "b"]);
    expect(m.list.map((x) => x.name)).toEqual(["c", "a", "b"]);
    m.dispose();
  });

  it("requests: openFavourite opens a tab for it, favouritesChanged reads the list again", async () => {
    const f = fakeBackend([fav("web")]);
    const opened: [string, FavouriteSummary | undefined][] = [];
    const m = new FavouritesModel(f.backend, { open: (name, summary) => opened.push([name, summary]) });
    await f.backend.watchRequests((r) => m.handleRequest(r));
    await m.load();
    f.send({ kind: "openFavourite", name: "web" });
    expect(opened).toEqual([["web", fav("web")]]);
    f.send({ kind: "openFavourite", name: "unknown" }); // opened anyway: its tab says why it fails
    expect(opened[1]).toEqual(["unknown", undefined]);
    f.list().push(fav("db"));
    f.send({ kind: "favouritesChanged" });
    await flush();
    expect(m.list.map((x) => x.name)).toEqual(["web", "db"]);
    expect(f.calls.filter((c) => c === "list")).toHaveLength(2);
    m.dispose();
  });
});

describe("a favourite's tab", () => {
  it("resolves before every attempt: a reopen follows the favourite to its new pod", async () => {
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(fav("web")), { name: "web", target: "deployment/web" });
    expect(tab.status).toMatchObject({ kind: "connecting", resolving: true });
    f.resolveTo.push(resolved("web-aaa-11111"));
    expect(await resolveForTab(f.backend, tabs, tab.id, 1)).toMatchObject({ pod: "web-aaa-11111", container: "nginx" });
    expect(tab.target.pod).toBe("web-aaa-11111");
    expect(tab.status).toEqual({ kind: "connecting", since: 0 });
    tabs.sessionOpened(tab.id, 1, 7);
    tabs.sessionState(tab.id, 1, { state: "connected" });
    tabs.sessionState(tab.id, 1, { state: "exited", code: 0, outputBytes: 0 });

    // A rollout replaced the pod; Enter reopens: resolved again.
    expect(tabs.reopen(tab.id)).toEqual({ attempt: 2, oldSession: 7 });
    expect(tab.status).toMatchObject({ kind: "connecting", resolving: true });
    f.resolveTo.push(resolved("web-bbb-22222"));
    expect(await resolveForTab(f.backend, tabs, tab.id, 2)).toMatchObject({ pod: "web-bbb-22222" });
    expect(tab.target.pod).toBe("web-bbb-22222");
    expect(f.calls).toEqual(["resolve web", "resolve web"]);
  });

  it("with no pod Ready, the pod taken that runs, not Ready, is said; a Ready one says nothing", async () => {
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(fav("web")), { name: "web", target: "deployment/web" });
    const notes: string[] = [];
    const note = "No Ready pod for deployment/web; using web-aaa-11111 (not Ready: container nginx not ready)";
    f.resolveTo.push(resolved("web-aaa-11111", { unready: note }));
    expect(await resolveForTab(f.backend, tabs, tab.id, 1, (n) => notes.push(n))).toMatchObject({ pod: "web-aaa-11111" });
    expect(notes).toEqual([note]);
    tabs.sessionOpened(tab.id, 1, 7);
    tabs.sessionState(tab.id, 1, { state: "exited", code: 0, outputBytes: 0 });
    tabs.reopen(tab.id);
    f.resolveTo.push(resolved("web-aaa-11111"));
    expect(await resolveForTab(f.backend, tabs, tab.id, 2, (n) => notes.push(n))).toMatchObject({ pod: "web-aaa-11111" });
    expect(notes).toEqual([note]);
    // A tab closed while it resolved says nothing.
    const other = tabs.open(placeholderTarget(fav("web")), { name: "web" });
    f.resolveTo.push(resolved("web-aaa-11111", { unready: note }));
    const late = resolveForTab(f.backend, tabs, other.id, 1, (n) => notes.push(n));
    tabs.close(other.id);
    expect(await late).toBeNull();
    expect(notes).toEqual([note]);
  });

  it("a debug favourite opens in a debug container beside its container, with the debug image setting", async () => {
    setDebugImage("busybox:1.36");
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(fav("distroless", { debug: true })), { name: "distroless" });
    f.resolveTo.push(resolved("distroless", { container: "app", debug: true }));
    const target = await resolveForTab(f.backend, tabs, tab.id, 1);
    expect(target).toMatchObject({ pod: "distroless", container: "app", command: null, debug: { image: "busybox:1.36", name: "" } });
    expect(isDebugTarget(tab.target)).toBe(true);
    // Not a debug favourite: no debug container.
    const plain = tabs.open(placeholderTarget(fav("web")), { name: "web" });
    f.resolveTo.push(resolved("web-aaa-11111"));
    expect((await resolveForTab(f.backend, tabs, plain.id, 1))?.debug).toBeUndefined();
  });

  it("a failed resolve is a failed attempt with the backend's words; Reconnect tries again", async () => {
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(undefined), { name: "web" });
    f.fail.resolve = "no Ready pod for deployment/web in namespace demo: web-abc (Pending: ContainerCreating)";
    expect(await resolveForTab(f.backend, tabs, tab.id, 1)).toBeNull();
    expect(tab.status).toEqual({
      kind: "lost",
      reason: "no Ready pod for deployment/web in namespace demo: web-abc (Pending: ContainerCreating)",
      beforeConnect: true,
      unresolved: true,
    });
    delete f.fail.resolve;
    tabs.reopen(tab.id);
    f.resolveTo.push(resolved("web-abc"));
    expect(await resolveForTab(f.backend, tabs, tab.id, 2)).toMatchObject({ pod: "web-abc" });
  });

  it("none Ready, one crash-looping: the tab leads to that pod and offers its copy", async () => {
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(fav("api")), { name: "api", target: "deployment/api" });
    const refused = {
      kind: "notFound",
      message: "no Ready pod for deployment/api in namespace prod: api-1 (not Ready: container app waiting: CrashLoopBackOff)",
      hint: "Debug a copy of the pod… (on this tab) makes a copy of api-1",
      crashing: { namespace: "prod", pod: "api-1", container: "app" },
    };
    const backend = { resolveFavourite: async () => Promise.reject(refused) } as unknown as Backend;
    expect(await resolveForTab(backend, tabs, tab.id, 1)).toBeNull();
    expect(tab.status).toEqual({
      kind: "lost",
      reason: `${refused.message}: ${refused.hint}`,
      beforeConnect: true,
      unresolved: true,
      crashing: "app",
      copyOf: { namespace: "prod", pod: "api-1" },
    });
    // Still the favourite's tab: its target is not the crashing pod (Reconnect resolves it
    // again, Split right opens the favourite, files go nowhere yet).
    expect(tab.target.pod).toBe("");
    expect(tab.favourite?.name).toBe("api");
    // That pod deleted (a rollout): nothing left to copy.
    tabs.podGone(tab.target.profile, "prod", "api-1");
    expect(tab.status).toEqual({ kind: "lost", reason: `${refused.message}: ${refused.hint}`, beforeConnect: true, unresolved: true });
    // A favourite whose cluster is not known yet (the list had not loaded it) offers none.
    const unknown = tabs.open(placeholderTarget(undefined), { name: "api" });
    expect(await resolveForTab(backend, tabs, unknown.id, 1)).toBeNull();
    expect(unknown.status).toMatchObject({ kind: "lost", unresolved: true });
    expect("crashing" in unknown.status).toBe(false);
  });

  it("an answer for an older attempt, or a closed tab, opens nothing", async () => {
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const tab = tabs.open(placeholderTarget(undefined), { name: "web" });
    f.resolveTo.push(resolved("old"));
    const late = resolveForTab(f.backend, tabs, tab.id, 1);
    tabs.resolveFailed(tab.id, 1, "x");
    tabs.reopen(tab.id); // attempt 2 started before attempt 1's answer came
    expect(await late).toBeNull();
    expect(tab.target.pod).toBe("");
    f.resolveTo.push(resolved("new"));
    const closing = resolveForTab(f.backend, tabs, tab.id, 2);
    tabs.close(tab.id);
    expect(await closing).toBeNull();
  });

  it("a plain tab keeps its target; a renamed favourite's tabs follow the new name", async () => {
    const f = fakeBackend();
    const tabs = new TabModel(() => 0);
    const plain = tabs.open({ profile: "demo", namespace: "demo", pod: "shell", container: "shell", command: null });
    expect(await resolveForTab(f.backend, tabs, plain.id, 1)).toEqual(plain.target);
    const t = tabs.open(placeholderTarget(undefined), { name: "web" });
    tabs.renameFavourite("web", "front");
    expect(t.favourite?.name).toBe("front");
    expect(f.calls).toEqual([]);
  });
});

describe("the star on a pod", () => {
  it("saves the owning workload and says what was saved", async () => {
    const { backend } = createMock({ withDemo: true, liveUpdates: false });
    const favourites = new FavouritesModel(backend, { open: () => {} });
    const m = new SidebarModel(backend, () => {}, favourites);
    await m.loadProfiles();
    await favourites.load();
    await m.starPod("web-7c9d6b5f4-kx2lp");
    expect(m.notice).toBe("Saved favourite web (deployment/web in demo)");
    expect(m.starredAs("web-7c9d6b5f4-q8z7m")).toEqual(["web"]);
    expect(m.starredAs("db-0")).toEqual([]);
    await m.starPod("db-0");
    expect(m.notice).toBe("Saved favourite db (statefulset/db in demo)");
    await m.starPod("web-7c9d6b5f4-q8z7m");
    expect(m.notice).toBe("Saved favourite web (2) (deployment/web in demo)");
    await m.starPod("shell");
    expect(favourites.list.map((f) => [f.name, f.kind, f.target])).toEqual([
      ["web", "deployment", "web"],
      ["db", "statefulset", "db"],
      ["web (2)", "deployment", "web"],
      ["shell", "pod", "shell"],
    ]);
    await m.starPod("nope");
    expect(m.error).toBe('Could not favourite nope: pods "nope" not found');
    m.dispose();
    favourites.dispose();
  });
});

