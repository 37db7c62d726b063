import { describe, expect, it, vi } from "vitest";
import type { Backend } from "../ipc";
import { createMock } from "../ipc/mock";
import type { AppRequest, FavouriteSummary, PodSummary, ResolvedFavourite } from "../ipc/types";
import { SidebarModel } from "../sidebar/model";
import { TabModel } from "../terminal/tabs";
import { favouriteWhere, movedOrder, placeholderTarget, podOwnedBy, savedNotice } from "./favourite";
import { FavouritesModel, resolveForTab } from "./model";

function fav(name: string, extra: Partial<FavouriteSummary> = {}): FavouriteSummary {
  return { name, profile: "demo", namespace: "demo", kind: "deployment", target: name, container: null, command: [], ...extra };
}

/** The error a command rejects with (no hint). */
const appError = (kind: string, message: string) => ({ kind, message, hint: null });

/** Who runs the fake backend's pods (as the backend would find from their owners). */
const FAKE_WORKLOADS: Record<string, string> = { "web-7c9d6b5f4-kx2lp": "web", "web-1-2": "web" };

/** A pod as the watch reports it, with its owner (`null`: a bare pod). */
function podOf(name: string, owner: { kind: string; name: string } | null): PodSummary {
  const p = {
    name,
    namespace: "demo",
    phase: "Running",
    ready: "1/1",
    restarts: 0,
    createdAt: "",
    containers: ["main"],
    defaultContainer: "main",
    terminating: false,
    owner,
  };
  return p;
}

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
  ...extra,
});

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("favourite helpers", () => {
  it("describe a favourite as the sidebar and the notice do", () => {
    const f = fav("web");
    expect(favouriteWhere(f)).toBe("demo · demo · deployment/web");
    expect(savedNotice(f)).toBe("Saved favourite web (deployment/web in demo)");
    expect(placeholderTarget(fav("x", { container: "c", command: ["top"] }))).toEqual({
      profile: "demo",
      namespace: "demo",
      pod: "",
      container: "c",
      command: ["top"],
    });
    expect(placeholderTarget(undefined)).toEqual({ profile: "", namespace: "", pod: "", container: "", command: null });
  });

  it("movedOrder moves one name, clamped, null when it stays", () => {
    expect(movedOrder(["a", "b", "c"], "c", -1)).toEqual(["a", "c", "b"]);
    expect(movedOrder(["a", "b", "c"], "a", 1)).toEqual(["b", "a", "c"]);
    expect(movedOrder(["a", "b", "c"], "a", -1)).toBeNull();
    expect(movedOrder(["a", "b", "c"], "c", 5)).toBeNull();
    expect(movedOrder(["a", "b", "c"], "nope", 1)).toBeNull();
  });

  it("podOwnedBy follows the pod's owner, never its name", () => {
    const rs = (name: string) => ({ kind: "ReplicaSet", name });
    const webPod = podOf("web-7c9d6b5f4-kx2lp", rs("web-7c9d6b5f4"));
    expect(podOwnedBy(fav("web"), "demo", "demo", webPod)).toBe(true);
    expect(podOwnedBy(fav("web"), "other", "demo", webPod)).toBe(false);
    expect(podOwnedBy(fav("web"), "demo", "default", webPod)).toBe(false);
    // Named like web's pods, but run by another Deployment's ReplicaSet, or by none.
    expect(podOwnedBy(fav("web"), "demo", "demo", podOf("web-7c9d6b5f4-kx2lp", rs("web-api-7c9d6b5f4")))).toBe(false);
    expect(podOwnedBy(fav("web"), "demo", "demo", podOf("web-7c9d6b5f4-kx2lp", null))).toBe(false);
    // Named unlike web's pods, but run by web's ReplicaSet.
    expect(podOwnedBy(fav("web"), "demo", "demo", podOf("frontend-x", rs("web-5d78c9869d")))).toBe(true);
    expect(podOwnedBy(fav("web-api"), "demo", "demo", podOf("web-api-1", rs("web-7c9d6b5f4")))).toBe(false);
    const sts = { kind: "statefulset" };
    expect(podOwnedBy(fav("db", sts), "demo", "demo", podOf("db-0", { kind: "StatefulSet", name: "db" }))).toBe(true);
    expect(podOwnedBy(fav("db", sts), "demo", "demo", podOf("db-0", { kind: "StatefulSet", name: "db2" }))).toBe(false);
    expect(podOwnedBy(fav("db", sts), "demo", "demo", podOf("db-0", null))).toBe(false);
    expect(podOwnedBy(fav("shell", { kind: "pod" }), "demo", "demo", podOf("shell", null))).toBe(true);
    expect(podOwnedBy(fav("shell", { kind: "pod" }), "demo", "demo", podOf("shell-2", null))).toBe(false);
    const ds = fav("kp", { kind: "daemonset", target: "kube-proxy" });
    expect(podOwnedBy(ds, "demo", "demo", podOf("kube-proxy-7xk2p", { kind: "DaemonSet", name: "kube-proxy" }))).toBe(true);
    expect(podOwnedBy(ds, "demo", "demo", podOf("kube-proxy-7xk2p", rs("kube-proxy-7xk2p")))).toBe(false);
    const bareRs = fav("x", { kind: "replicaset", target: "web-7c9d6b5f4" });
    expect(podOwnedBy(bareRs, "demo", "demo", webPod)).toBe(true);
    expect(podOwnedBy(fav("a.b", { target: "a.b" }), "demo", "demo", podOf("axb-7c9d6b5f4-kx2lp", rs("axb-7c9d6b5f4")))).toBe(false);
  });
});

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
    tabs.sessionState(tab.id, 1, { state: "exited", code: 0 });

    // A rollout replaced the pod; Enter reopens: resolved again.
    expect(tabs.reopen(tab.id)).toEqual({ attempt: 2, oldSession: 7 });
    expect(tab.status).toMatchObject({ kind: "connecting", resolving: true });
    f.resolveTo.push(resolved("web-bbb-22222"));
    expect(await resolveForTab(f.backend, tabs, tab.id, 2)).toMatchObject({ pod: "web-bbb-22222" });
    expect(tab.target.pod).toBe("web-bbb-22222");
    expect(f.calls).toEqual(["resolve web", "resolve web"]);
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

describe("mock favourites (as the Rust side answers)", () => {
  it("resolves to the newest Ready pod, follows a rollout, and says why none is Ready", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    const web = await backend.addFavourite("demo", "demo", "web-7c9d6b5f4-kx2lp", null);
    expect(web).toMatchObject({ name: "web", kind: "deployment", target: "web", container: null, command: [] });
    // The newest of the two web pods.
    expect(await backend.resolveFavourite("web")).toEqual({
      name: "web",
      profile: "demo",
      namespace: "demo",
      pod: "web-7c9d6b5f4-q8z7m",
      container: "nginx",
      command: null,
    });
    const fresh = controls.rollout("demo", "web");
    expect(fresh).toHaveLength(2);
    expect((await backend.resolveFavourite("web")).pod).toBe(fresh[0]);
    controls.modifyPod("demo", fresh[0]!, { phase: "Pending", ready: "0/2", reason: "ContainerCreating" });
    controls.modifyPod("demo", fresh[1]!, { terminating: true });
    await expect(backend.resolveFavourite("web")).rejects.toEqual(
      appError("notFound", `no Ready pod for deployment/web in namespace demo: ${fresh[0]} (Pending: ContainerCreating), ${fresh[1]} (terminating)`),
    );
    // A bare pod is itself; a Job's pod too; a chosen container must exist.
    const crashy = await backend.addFavourite("demo", "demo", "crashy", "app");
    expect(crashy).toMatchObject({ kind: "pod", target: "crashy", container: "app" });
    expect((await backend.resolveFavourite("crashy")).pod).toBe("crashy");
    const job = await backend.addFavourite("demo", "demo", "migrate-28493115-x7kq2", null);
    expect(job).toMatchObject({ kind: "pod", target: "migrate-28493115-x7kq2" });
    await expect(backend.resolveFavourite(job.name)).rejects.toEqual(
      appError("cluster", "cannot exec into a container in a completed pod; current phase is Succeeded"),
    );
    controls.addPod({ name: "api-5c8f7d9b4-m2x9p", owner: { kind: "ReplicaSet", name: "api-5c8f7d9b4" }, deployment: "api", phase: "Pending", ready: "0/1", reason: "ContainerCreating" });
    await backend.addFavourite("demo", "demo", "api-5c8f7d9b4-m2x9p", null);
    await expect(backend.resolveFavourite("api")).rejects.toEqual(
      appError("notFound", "no Ready pod for deployment/api in namespace demo: api-5c8f7d9b4-m2x9p (Pending: ContainerCreating)"),
    );
    controls.deletePod("demo", "api-5c8f7d9b4-m2x9p");
    await expect(backend.resolveFavourite("api")).rejects.toEqual(
      appError("notFound", "no Ready pod for deployment/api in namespace demo: no pods match"),
    );
    await expect(backend.resolveFavourite("nope")).rejects.toEqual(
      appError("notFound", 'no favourite named "nope"; the favourites are: web, crashy, migrate-28493115-x7kq2, api'),
    );
  });

  it("renames, deletes and reorders with the store's checks", async () => {
    const { backend } = createMock({ withDemo: true, liveUpdates: false });
    await expect(backend.deleteFavourite("x")).rejects.toEqual(
      appError("notFound", 'no favourite named "x"; there are no favourites yet'),
    );
    await backend.addFavourite("demo", "demo", "db-0", null);
    await backend.addFavourite("demo", "demo", "shell", null);
    await expect(backend.renameFavourite("db", "shell")).rejects.toEqual(
      appError("invalidInput", 'a favourite named "shell" already exists: pick another name, or remove it first'),
    );
    await expect(backend.renameFavourite("db", "  ")).rejects.toEqual(
      appError("invalidInput", 'invalid favourite "": a favourite needs a name'),
    );
    await backend.renameFavourite("db", " postgres ");
    await expect(backend.reorderFavourites(["shell"])).rejects.toEqual(
      appError("invalidInput", "the new order must name every favourite exactly once: missing postgres"),
    );
    await expect(backend.reorderFavourites(["shell", "shell", "x"])).rejects.toEqual(
      appError("invalidInput", "the new order must name every favourite exactly once: missing postgres; no favourite named x; named more than once: shell"),
    );
    await backend.reorderFavourites(["shell", "postgres"]);
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["shell", "postgres"]);
    await backend.deleteFavourite("shell");
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["postgres"]);
  });

  it("holds open requests until the UI listens, then sends them in order", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    controls.requestOpen("a");
    controls.requestFavouritesChanged(); // not held: a UI that starts listening reads the list anyway
    controls.requestOpen("b");
    expect(controls.listening()).toBe(false);
    const got: AppRequest[] = [];
    await backend.watchRequests((r) => got.push(r));
    controls.requestOpen("c");
    await flush();
    expect(got).toEqual([
      { kind: "openFavourite", name: "a" },
      { kind: "openFavourite", name: "b" },
      { kind: "openFavourite", name: "c" },
    ]);
    controls.setFavourites([fav("x")]);
    await flush();
    expect(got.at(-1)).toEqual({ kind: "favouritesChanged" });
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["x"]);
  });
});
