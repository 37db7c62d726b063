import { describe, expect, it } from "vitest";
import type { DebugPlan } from "../ipc/types";
import { pickerContainers } from "../sidebar/pods";
import { currentDebugImage, debugDescription, debugOffer, debugTarget, setDebugImage } from "./debug";
import { isDebugTarget, TabModel, type SessionTarget } from "./tabs";

const plan = (extra: Partial<DebugPlan> = {}): DebugPlan => ({
  namespace: "demo",
  pod: "distroless",
  target: "app",
  image: "busybox:1.36",
  name: "debugger-x2k9p",
  reuse: false,
  ...extra,
});

const noShellTab: SessionTarget = { profile: "Demo cluster", namespace: "demo", pod: "distroless", container: "", command: null };

describe("debug containers", () => {
  it("the offer says what is added to the pod, and that it cannot be removed", () => {
    const o = debugOffer(plan());
    expect(o.title).toBe("Add a debug container to distroless?");
    expect(o.facts).toEqual([
      ["Pod", "demo/distroless"],
      ["Image", "busybox:1.36"],
      ["Target", "app (its processes and files are visible from the shell)"],
      ["Name", "debugger-x2k9p"],
    ]);
    expect(o.warning).toMatch(/^Ephemeral containers cannot be removed: this one stays in the pod until the pod is deleted\./);
    expect(o.confirm).toBe("Add it and open a shell");
  });

  it("a running debug container of ours is reused: nothing is added, no warning", () => {
    const o = debugOffer(plan({ reuse: true }));
    expect(o.title).toBe("Open a shell in the debug container debugger-x2k9p");
    expect(o.warning).toBeNull();
    expect(o.confirm).toBe("Open a shell");
  });

  it("the debug tab targets the planned container beside the resolved target, with the shell", () => {
    const t = debugTarget({ ...noShellTab, command: ["python3"] }, plan());
    expect(t).toEqual({
      profile: "Demo cluster",
      namespace: "demo",
      pod: "distroless",
      container: "app",
      command: null,
      debug: { image: "busybox:1.36", name: "debugger-x2k9p" },
    });
    expect(isDebugTarget(t)).toBe(true);
    expect(isDebugTarget(noShellTab)).toBe(false);
    expect(isDebugTarget({ ...noShellTab, container: "debugger-x2k9p", ephemeral: true })).toBe(true);
    expect(debugDescription(t)).toBe("debug container debugger-x2k9p (busybox:1.36) beside app");
    expect(debugDescription(noShellTab)).toBeNull();
  });

  it("a reopened debug tab keeps its own copy of the debug request", () => {
    const model = new TabModel(() => 0);
    const target = debugTarget(noShellTab, plan());
    const tab = model.open(target);
    target.debug!.name = "changed";
    expect(model.get(tab.id)!.target.debug).toEqual({ image: "busybox:1.36", name: "debugger-x2k9p" });
    model.close(tab.id);
    expect(model.takeClosed()!.target.debug).toEqual({ image: "busybox:1.36", name: "debugger-x2k9p" });
  });

  it("the picker lists the pod's ephemeral containers after its own, once", () => {
    expect(pickerContainers({ containers: ["app"], ephemeralContainers: ["debugger-a", "debugger-b"] })).toEqual(["app", "debugger-a", "debugger-b"]);
    expect(pickerContainers({ containers: ["app"], ephemeralContainers: [] })).toEqual(["app"]);
  });

  it("the image setting is kept trimmed", () => {
    setDebugImage("  nicolaka/netshoot ");
    expect(currentDebugImage()).toBe("nicolaka/netshoot");
  });
});
