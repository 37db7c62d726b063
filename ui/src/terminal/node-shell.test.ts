import { describe, expect, it } from "vitest";
import type { CopyPlan, PodSummary } from "../ipc/types";
import type { SidebarModel } from "../sidebar/model";
import { pod } from "../sidebar/fixtures";
import { tabsToSave } from "../restore/model";
import { nodeDescription, nodeOf, nodeOffer, nodeShellItems, nodeTarget } from "./node-shell";
import { TabModel, tabLabel, type SessionTarget } from "./tabs";

const plan: CopyPlan = { namespace: "demo", pod: "node/testnode", container: "debugger", image: "busybox:1.36", name: "node-debugger-testnode-x2k9p" };

function sidebar(pods: PodSummary[]): SidebarModel {
  const byName = new Map(pods.map((p) => [p.name, p]));
  return { profile: "ops", namespace: "demo", pods: { get: (n: string) => byName.get(n) } } as unknown as SidebarModel;
}

describe("a shell on a node", () => {
  it("a pod's menu offers its node, and nothing for a pod not scheduled yet", () => {
    const asked: string[] = [];
    const m = sidebar([pod("web-1", { node: "testnode", namespace: "shop" }), pod("waiting", { node: null })]);
    const [item] = nodeShellItems(m, "web-1", (profile, ns, node) => asked.push(`${profile}/${ns}/${node}`));
    expect(item!.label).toBe("Shell on its node (testnode)…");
    expect(item!.disabled).toBe(false);
    item!.run();
    // The debugging pod goes in the pod's own namespace.
    expect(asked).toEqual(["ops/shop/testnode"]);
    const [none] = nodeShellItems(m, "waiting", () => asked.push("no"));
    expect(none!.disabled).toBe(true);
    expect(nodeShellItems(m, "gone", () => {})).toEqual([]);
  });

  it("the offer names the node, the image, the pod and what it sees, and when it goes", () => {
    const o = nodeOffer(plan);
    expect(o.title).toBe("Open a shell on node testnode?");
    expect(o.facts.map(([k]) => k)).toEqual(["Node", "Image", "Pod", "Sees"]);
    expect(o.facts[2]![1]).toBe("demo/node-debugger-testnode-x2k9p");
    expect(o.warning).toMatch(/kubectl debug node\/testnode/);
    expect(o.warning).toMatch(/Podterm deletes it when this tab closes/);
  });

  it("its tab is a copy of node/NODE with the image, neither kept across restarts nor reopened", () => {
    const t = nodeTarget("ops", plan);
    expect(t).toEqual({
      profile: "ops",
      namespace: "demo",
      pod: "node/testnode",
      container: "debugger",
      command: null,
      copy: { name: "node-debugger-testnode-x2k9p", image: "busybox:1.36" },
    });
    expect(nodeOf(t)).toBe("testnode");
    expect(tabLabel({ target: t, favourite: null })).toBe("node/testnode");
    expect(nodeDescription(t)).toBe("a shell on node testnode (pod node-debugger-testnode-x2k9p, image busybox:1.36); deleted when the tab closes");
    // A pod copy and a plain tab are not shells on a node.
    const plain: SessionTarget = { profile: "ops", namespace: "demo", pod: "web-1", container: "", command: null };
    expect(nodeOf(plain)).toBeNull();
    expect(nodeOf({ ...plain, copy: { name: "web-1-debug-abcde" } })).toBeNull();

    const tabs = new TabModel();
    const shell = tabs.open(plain);
    const node = tabs.open(t);
    const saved = tabsToSave(tabs.list(), node.id, () => null);
    expect(saved.tabs.map((s) => s.pod)).toEqual(["web-1"]);
    // The active tab (the node's) is not kept: none is active after a restart.
    expect(saved.active).toBeNull();
    expect(tabsToSave(tabs.list(), shell.id, () => null).active).toBe(0);
    tabs.close(node.id);
    tabs.close(shell.id);
    expect(tabs.closedTargets().map((c) => c.pod)).toEqual(["web-1"]);
  });
});
