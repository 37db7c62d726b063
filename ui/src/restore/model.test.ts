import { describe, expect, it } from "vitest";
import { reopenOf, tabsToSave } from "./model";
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
        { profile: "prod", namespace: "web", pod: "web-1", container: "app", command: null, favourite: null, owner: { kind: "ReplicaSet", name: "web-5c" } },
        { profile: "prod", namespace: "web", pod: "db-0", container: "app", command: ["psql"], favourite: null, owner: null },
        { profile: "prod", namespace: "web", pod: "api-2", container: "app", command: null, favourite: "api", owner: null },
      ],
      active: 1,
    });
    expect(tabsToSave([], null, () => null)).toEqual({ tabs: [], active: null });
  });

  it("reopens a tab where it was, in the pod it moved to (saying so), or as deleted", () => {
    const tab = { profile: "prod", namespace: "web", pod: "web-2", container: "app", command: ["top"], favourite: null, owner: { kind: "ReplicaSet", name: "web-5c" } };
    const moved = reopenOf({ tab, movedFrom: "web-1", gone: false });
    expect(moved.target).toEqual({ profile: "prod", namespace: "web", pod: "web-2", container: "app", command: ["top"] });
    expect(moved.note).toBe("the pod web/web-1 is gone: reopened in web-2, the newest Ready pod of its Deployment");
    expect(reopenOf({ tab, movedFrom: null, gone: true })).toMatchObject({ gone: true, note: null, favourite: null });
    expect(reopenOf({ tab: { ...tab, favourite: "web" }, movedFrom: null, gone: false }).favourite).toEqual({ name: "web" });
  });
});
