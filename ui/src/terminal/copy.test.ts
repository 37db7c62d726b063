import { describe, expect, it } from "vitest";
import type { CopyPlan } from "../ipc/types";
import { copyDescription, copyOffer, copyTarget } from "./copy";
import { tabTransferTarget } from "../transfers/view";
import { copyShared, nextStatus, sessionPod, TabModel, withoutCopy, type SessionTarget } from "./tabs";

const plan: CopyPlan = { namespace: "demo", pod: "crashy", container: "app", image: "busybox:1.36", name: "crashy-debug-x2k9p" };
const crashyTab: SessionTarget = { profile: "ops", namespace: "demo", pod: "crashy", container: "", command: null };

describe("a copy of a crashing pod", () => {
  it("a session refused because its container crashes as it starts keeps the container for the offer", () => {
    const connecting = { kind: "connecting" as const, since: 0 };
    expect(nextStatus(connecting, { state: "lost", reason: "crashes", outputBytes: 0, crashing: "app" }, 1)).toEqual({
      kind: "lost",
      reason: "crashes",
      beforeConnect: true,
      crashing: "app",
    });
    // Any other loss offers no copy.
    expect(nextStatus(connecting, { state: "lost", reason: "gone", outputBytes: 0 }, 1)).toEqual({ kind: "lost", reason: "gone", beforeConnect: true });
  });

  it("the offer says what is made, that the shell comes from the image, and when it is deleted", () => {
    const o = copyOffer(plan);
    expect(o.title).toBe("Debug a copy of crashy?");
    expect(o.facts).toEqual([
      ["Pod", "demo/crashy"],
      ["Container", "app runs a shell instead of its command"],
      ["Image", "busybox:1.36 (the shell comes from it: sh must be in the image)"],
      ["Copy", "crashy-debug-x2k9p"],
    ]);
    expect(o.warning).toMatch(/no labels \(no Service sends it traffic\)/);
    expect(o.warning).toMatch(/Podterm deletes it when this tab closes, and when Podterm quits with the tab open \(should Podterm be killed, its next start offers to delete it\)\.$/);
    expect(o.confirm).toBe("Make the copy and open a shell");
  });

  it("the copy tab opens a shell in the planned copy's container, and its model copy is its own", () => {
    const t = copyTarget(crashyTab, plan);
    expect(t).toEqual({ profile: "ops", namespace: "demo", pod: "crashy", container: "app", command: null, copy: { name: "crashy-debug-x2k9p" } });
    expect(copyDescription(t)).toBe("a copy of crashy (pod crashy-debug-x2k9p), app running a shell; deleted when the tab closes");
    expect(copyDescription(crashyTab)).toBeNull();
    const model = new TabModel(() => 0);
    const tab = model.open(t, null);
    t.copy!.name = "changed";
    expect(model.get(tab.id)?.target.copy).toEqual({ name: "crashy-debug-x2k9p" });
  });

  it("the copy tab's pod is the copy: the original's deletion does not end it, nor the list seeing the copy's name go (the engine says its pod's end); its files are the copy's", () => {
    const t = copyTarget(crashyTab, plan);
    expect(sessionPod(t)).toBe("crashy-debug-x2k9p");
    expect(sessionPod(crashyTab)).toBe("crashy");
    const model = new TabModel(() => 0);
    const tab = model.open(t, null);
    model.sessionOpened(tab.id, 1, 7);
    model.sessionState(tab.id, 1, { state: "connected" });
    expect(model.podGone("ops", "demo", "crashy")).toEqual([]);
    expect(model.get(tab.id)?.status.kind).toBe("connected");
    expect(tabTransferTarget(model.get(tab.id))?.pod).toBe("crashy-debug-x2k9p");
    expect(model.podGone("ops", "demo", "crashy-debug-x2k9p")).toEqual([]);
    expect(model.get(tab.id)?.status.kind).toBe("connected");
    // The engine's end, by the copy's uid.
    model.sessionState(tab.id, 1, { state: "lost", reason: "the pod demo/crashy-debug-x2k9p was deleted", outputBytes: 0 });
    expect(model.get(tab.id)?.status).toMatchObject({ kind: "lost", reason: "the pod demo/crashy-debug-x2k9p was deleted" });
  });

  it("a split pane of the copy shares it; a closed copy tab reopens on the original pod", () => {
    const t = copyTarget(crashyTab, plan);
    const model = new TabModel(() => 0);
    const a = model.open(t, null);
    const b = model.open(t, null);
    const other = model.open(copyTarget(crashyTab, { ...plan, name: "crashy-debug-zzzzz" }), null);
    expect(copyShared(model.list(), a.id, t)).toBe(true);
    expect(copyShared(model.list(), other.id, other.target)).toBe(false);
    expect(copyShared(model.list(), a.id, crashyTab)).toBe(false);
    model.close(b.id);
    expect(copyShared(model.list(), a.id, t)).toBe(false);
    // Reopened (Ctrl+Shift+T), the closed tab is the original pod's: no copy of a deleted copy.
    expect(model.takeClosed()?.target).toEqual({ profile: "ops", namespace: "demo", pod: "crashy", container: "app", command: null });
    expect(withoutCopy(t)).toEqual({ profile: "ops", namespace: "demo", pod: "crashy", container: "app", command: null });
    expect(t.copy).toEqual({ name: "crashy-debug-x2k9p" });
  });
});
