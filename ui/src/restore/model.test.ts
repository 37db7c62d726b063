import { describe, expect, it } from "vitest";
import { debugTabAgain, reopenOf, restoredOwners, tabsToSave } from "./model";
import type { SessionTarget } from "../terminal/tabs";

const at = (pod: string, extra: Partial<SessionTarget> = {}): SessionTarget => ({ profile: "prod", namespace: "web", pod, container: "app", command: null, ...extra });

describe("tabs that survive a restart", () => {
  it("saves each tab's place, its pod's owner when known, a favourite by name, and the active tab", () => {
    const tabs = [
      { id: 4, target: at("web-1"), favourite: null },
      { id: 7, target: at("db-0", { command: ["psql"] }), favourite: null },
      { id: 9, target: at("api-2"), favourite: { name: "api", target: "deployment/api" } },
    ];
    const saved = tabsToSave(tabs, 7, (t) => (t.pod === "web-1" ? { kind: "ReplicaSet", name: "web-5c" } : null));
    expect(saved).toEqual({
      tabs: [
        { profile: "prod", namespace: "web", pod: "web-1", container: "app", command: null, favourite: null, owner: { kind: "ReplicaSet", name: "web-5c" }, view: "terminal", debug: null, ephemeral: false },
        { profile: "prod", namespace: "web", pod: "db-0", container: "app", command: ["psql"], favourite: null, owner: null, view: "terminal", debug: null, ephemeral: false },
        { profile: "prod", namespace: "web", pod: "api-2", container: "app", command: null, favourite: "api", owner: null, view: "terminal", debug: null, ephemeral: false },
      ],
      active: 1,
    });
    expect(tabsToSave([], null, () => null)).toEqual({ tabs: [], active: null });
  });

  it("a reopened tab keeps its saved owner for the next save, where it reopened (a pod the sidebar need not list)", () => {
    const rs = { kind: "ReplicaSet", name: "web-5c" };
    const saved = tabsToSave(
      [
        { id: 1, target: at("web-1"), favourite: null },
        { id: 2, target: at("db-0"), favourite: null },
      ],
      0,
      (t) => (t.pod === "web-1" ? rs : null),
    ).tabs;
    // web-1 was replaced by a rollout: the tab reopens in web-2, which its owner follows.
    const restored = [
      { tab: { ...saved[0]!, pod: "web-2" }, movedFrom: "web-1", gone: false },
      { tab: saved[1]!, movedFrom: null, gone: false },
    ];
    const opened = restored.map((r) => reopenOf(r).target);
    expect(restoredOwners(restored, opened)).toEqual([[opened[0], rs]]);
    // Saved again with only those owners (the sidebar listing neither pod): the owner stays.
    const again = tabsToSave(
      opened.map((target, i) => ({ id: i, target, favourite: null })),
      0,
      (t) => restoredOwners(restored, opened).find(([o]) => o.pod === t.pod)?.[1] ?? null,
    ).tabs;
    expect(again.map((t) => [t.pod, t.owner])).toEqual([["web-2", rs], ["db-0", null]]);
  });

  it("saves what each tab shows: a Logs view (of its pod or its workload), a debug container's terminal, an ephemeral container", () => {
    const tabs = [
      { id: 1, target: at("web-1"), favourite: null, kind: "logs" as const },
      { id: 2, target: at("web-1"), favourite: null, kind: "logs" as const, workload: true },
      { id: 3, target: at("distroless", { debug: { image: "busybox:1.36", name: "debugger-x1" } }), favourite: null, kind: "terminal" as const },
      { id: 4, target: at("distroless", { container: "debugger-x1", ephemeral: true }), favourite: null, kind: "terminal" as const },
    ];
    const saved = tabsToSave(tabs, 1, () => null).tabs.map((t) => [t.view, t.debug, t.ephemeral, t.container]);
    expect(saved).toEqual([
      ["logs", null, false, "app"],
      ["workloadLogs", null, false, "app"],
      ["terminal", { image: "busybox:1.36", name: "debugger-x1" }, false, "app"],
      ["terminal", null, true, "debugger-x1"],
    ]);
    // And they come back as they were.
    const back = tabsToSave(tabs, 1, () => null).tabs.map((tab) => reopenOf({ tab, movedFrom: null, gone: false }));
    expect(back.map((r) => r.view)).toEqual(["logs", "workloadLogs", "terminal", "terminal"]);
    expect(back[2]!.target).toEqual(at("distroless", { debug: { image: "busybox:1.36", name: "debugger-x1" } }));
    expect(back[3]!.target).toEqual(at("distroless", { container: "debugger-x1", ephemeral: true }));
  });

  it("reopens a tab where it was, in the pod it moved to (saying so), or as deleted", () => {
    const tab = { profile: "prod", namespace: "web", pod: "web-2", container: "app", command: ["top"], favourite: null, owner: { kind: "ReplicaSet", name: "web-5c" }, view: "terminal" as const, debug: null, ephemeral: false };
    const moved = reopenOf({ tab, movedFrom: "web-1", gone: false });
    expect(moved.target).toEqual({ profile: "prod", namespace: "web", pod: "web-2", container: "app", command: ["top"] });
    expect(moved.note).toBe("the pod web/web-1 is gone: reopened in web-2, the newest Ready pod of its Deployment");
    expect(reopenOf({ tab, movedFrom: null, gone: true })).toMatchObject({ gone: true, note: null, favourite: null });
    expect(reopenOf({ tab: { ...tab, favourite: "web" }, movedFrom: null, gone: false }).favourite).toEqual({ name: "web" });
  });

  it("reopens a debug tab in its debug container only while it runs; else on its target, adding nothing", async () => {
    const tab = at("distroless", { debug: { image: "busybox:1.36", name: "debugger-x1" } });
    const plan = (reuse: boolean, name = "debugger-x1") => async (t: SessionTarget, image: string) => ({ namespace: t.namespace, pod: t.pod, target: t.container, image, name, reuse });
    // Running (under another name, as after a restart of a tab that reused it): reused by its name.
    expect(await debugTabAgain(tab, plan(true, "debugger-q9"))).toEqual(at("distroless", { debug: { image: "busybox:1.36", name: "debugger-q9" } }));
    // Gone (the pod replaced): the target container, no debug container asked for.
    expect(await debugTabAgain(tab, plan(false, "debugger-new"))).toEqual(at("distroless"));
    expect(
      await debugTabAgain(tab, async () => {
        throw new Error("cannot reach the API server");
      }),
    ).toEqual(at("distroless"));
    // No answer in time (an unreachable cluster answers at its timeout): the target container.
    expect(await debugTabAgain(tab, () => new Promise(() => {}), 20)).toEqual(at("distroless"));
    // Not a debug tab: as it was, no plan asked.
    let asked = 0;
    expect(await debugTabAgain(at("web-1"), async (t, image) => (asked++, plan(true)(t, image)))).toEqual(at("web-1"));
    expect(asked).toBe(0);
  });
});
