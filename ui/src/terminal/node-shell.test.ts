import { describe, expect, it } from "vitest";
import type { CopyPlan, PodSummary } from "../ipc/types";
import type { SidebarModel } from "../sidebar/model";
import { pod } from "../sidebar/fixtures";
import { tabsToSave } from "../restore/model";
import { namespaceProblem, nodeDescription, nodeOf, nodeOffer, nodeShellItems, nodeTarget } from "./node-shell";
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
    expect(o.facts.map(([k]) => k)).toEqual(["Node", "Image", "Namespace", "Pod", "Sees"]);
    expect(o.facts[2]![1]).toBe("demo");
    expect(o.facts[3]![1]).toBe("node-debugger-testnode-x2k9p");
    expect(o.edit?.fact).toBe("Namespace");
    expect(o.warning).toMatch(/Pod Security \(baseline or restricted\) refuses its host access: choose one that allows it/);
    expect(o.warning).toMatch(/kubectl debug node\/testnode/);
    expect(o.warning).toMatch(/Podterm deletes it when this tab closes/);
  });

  it("only a namespace's name is taken for the pod (the dialog's check: the mocked UI's e2e)", () => {
    expect(namespaceProblem("kube-system")).toBeNull();
    expect(namespaceProblem("a")).toBeNull();
    expect(namespaceProblem("")).toBe("Name the namespace to make the pod in");
    for (const bad of ["Kube", "-x", "x-", "a_b", "a.b", "x".repeat(64), "a b"]) {
      expect(namespaceProblem(bad), bad).toMatch(/is not a namespace's name/);
    }
    // Text typed is shown cut.
    expect(namespaceProblem("X".repeat(500))!.length).toBeLessThan(250);

    // The tab goes in the namespace chosen.
    expect(nodeTarget("ops", plan, "kube-system").namespace).toBe("kube-system");
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
