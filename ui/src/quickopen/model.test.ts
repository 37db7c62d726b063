import { describe, expect, it } from "vitest";
import { fuzzy, quickItems, rank, itemLabel, workloadOf, type QuickSources } from "./model";
import type { PodSummary } from "../ipc/types";

function pod(name: string, over: Partial<PodSummary> = {}): PodSummary {
  return {
    name,
    namespace: "demo",
    phase: "Running",
    ready: "1/1",
    restarts: 0,
    createdAt: "2026-01-01T00:00:00Z",
    containers: ["main"],
    ephemeralContainers: [],
    defaultContainer: "main",
    terminating: false,
    owner: null,
    reason: null,
    node: null,
    ips: [],
    ports: [],
    ...over,
  };
}

const sources = (over: Partial<QuickSources> = {}): QuickSources => ({
  favourites: [{ name: "web", profile: "prod", namespace: "apps", kind: "deployment", target: "deployment/web", container: null, command: [], debug: false }],
  recent: [{ profile: "staging", namespace: "db", pod: "postgres-0", container: "pg", command: null }],
  profile: "demo",
  namespace: "demo",
  pods: [pod("web-7d9f-abcde"), pod("worker-1"), pod("pending-1", { phase: "Pending" })],
  ...over,
});

describe("quick open", () => {
  it("fuzzy: letters in order, case-insensitive; consecutive and word starts score higher", () => {
    expect(fuzzy("wk1", "worker-1")?.matched).toEqual([0, 3, 7]);
    expect(fuzzy("xyz", "worker-1")).toBeNull();
    expect(fuzzy("1w", "worker-1")).toBeNull();
    expect(fuzzy("WEB", "web-7d9f")).not.toBeNull();
    expect(fuzzy("web", "web")!.score).toBeGreaterThan(fuzzy("web", "web-7d9f")!.score);
    expect(fuzzy("web", "web-7d9f")!.score).toBeGreaterThan(fuzzy("web", "w-e-b")!.score);
    // The second letter is taken at a word start when the next letter does not follow.
    expect(fuzzy("dp", "demo/pending-1")?.matched).toEqual([0, 5]);
  });

  it("offers favourites, recent sessions and the listed pods; the best match first", () => {
    const items = quickItems(sources(), "web");
    const ranked = rank("web", items);
    expect(ranked.map((r) => itemLabel(r.item))).toEqual(["web", "demo/web-7d9f-abcde"]);
    expect(ranked[0]!.item.kind).toBe("favourite");
    const pg = rank("pg0", quickItems(sources(), "pg0"));
    expect(pg.map((r) => r.item.kind)).toEqual(["recent"]);
    expect(pg[0]!.item).toMatchObject({ target: { profile: "staging", pod: "postgres-0", container: "pg" } });
    // An empty box lists everything.
    expect(rank("", quickItems(sources(), "")).length).toBe(5);
  });

  it("a pod's item opens its default container; a Pending pod carries its refusal", () => {
    const items = quickItems(sources(), "");
    const worker = items.find((i) => i.kind === "pod" && i.target.pod === "worker-1");
    expect(worker).toMatchObject({ target: { profile: "demo", namespace: "demo", pod: "worker-1", container: "main", command: null }, refusal: null });
    const pending = items.find((i) => i.kind === "pod" && i.target.pod === "pending-1");
    expect(pending && pending.kind === "pod" && pending.refusal).toBeTruthy();
  });

  it("namespace/pod typed whole opens that pod in the current cluster, listed or not", () => {
    const ranked = rank("kube-system/coredns-1", quickItems(sources(), "kube-system/coredns-1"));
    expect(ranked.at(-1)!.item).toMatchObject({
      kind: "typed",
      target: { profile: "demo", namespace: "kube-system", pod: "coredns-1", container: "", command: null },
    });
    // A listed pod typed so is the pod's own item, not a second one.
    expect(quickItems(sources(), "demo/worker-1").some((i) => i.kind === "typed")).toBe(false);
    // No cluster chosen, or not a name: nothing typed is offered.
    expect(quickItems(sources({ profile: null }), "a/b").some((i) => i.kind === "typed")).toBe(false);
    expect(quickItems(sources(), "a/B!").some((i) => i.kind === "typed")).toBe(false);
  });

  it("the same recent session twice is listed once", () => {
    const t = { profile: "p", namespace: "n", pod: "x", container: "c", command: null };
    const items = quickItems(sources({ recent: [t, { ...t }], favourites: [], pods: [] }), "");
    expect(items.filter((i) => i.kind === "recent").length).toBe(1);
  });

  it("finds pods and workloads in every namespace listed; a workload opens its newest Ready pod, else its newest that runs", () => {
    const rs = { kind: "ReplicaSet", name: "web-6b7f9c8d5" };
    const pods = [
      pod("web-6b7f9c8d5-a1", { owner: rs, createdAt: "2026-01-01T00:00:00Z" }),
      pod("web-6b7f9c8d5-b2", { owner: rs, createdAt: "2026-01-02T00:00:00Z", containers: ["web", "sidecar"], defaultContainer: "web" }),
      pod("web-6b7f9c8d5-c3", { owner: rs, createdAt: "2026-01-03T00:00:00Z", phase: "Pending", reason: "Pending: ContainerCreating" }),
      // Running, not Ready (its readiness probe fails): a Ready pod goes first.
      pod("web-6b7f9c8d5-d4", { owner: rs, createdAt: "2026-01-04T00:00:00Z", ready: "0/1" }),
      pod("api-5c8f7d9b4-e5", { owner: { kind: "ReplicaSet", name: "api-5c8f7d9b4" }, ready: "1/2" }),
      pod("db-0", { namespace: "data", owner: { kind: "StatefulSet", name: "db" }, phase: "Pending", reason: "Pending: Unschedulable" }),
      pod("coredns-x", { namespace: "kube-system" }),
    ];
    const items = quickItems(sources({ pods }), "");
    // Pods of other namespaces than the current one are offered with their namespace.
    expect(rank("coredns", items).map((r) => itemLabel(r.item))).toEqual(["kube-system/coredns-x"]);
    const web = rank("deployment/web", items)[0]!.item;
    expect(web).toMatchObject({
      kind: "workload",
      label: "demo/deployment/web",
      refusal: null,
      target: { profile: "demo", namespace: "demo", pod: "web-6b7f9c8d5-b2", container: "web" },
    });
    // None Ready, one running: that one, as `podterm exec deploy/api` takes it.
    expect(rank("deployment/api", items)[0]!.item).toMatchObject({ refusal: null, target: { pod: "api-5c8f7d9b4-e5" } });
    // None running: the workload says so rather than opening a pod that cannot take a shell.
    const db = items.find((i) => i.kind === "workload" && i.label === "data/statefulset/db");
    expect(db).toMatchObject({ target: null, refusal: "No pod of statefulset/db in data runs: open one of its pods by name to see why." });
    expect(items.filter((i) => i.kind === "workload")).toHaveLength(3);
  });

  it("names a pod's workload in kubectl's words", () => {
    expect(workloadOf({ owner: { kind: "ReplicaSet", name: "web-7c9d6b5f4" } })).toBe("deployment/web");
    expect(workloadOf({ owner: { kind: "ReplicaSet", name: "lonely" } })).toBe("replicaset/lonely");
    expect(workloadOf({ owner: { kind: "DaemonSet", name: "kube-proxy" } })).toBe("daemonset/kube-proxy");
    expect(workloadOf({ owner: { kind: "Node", name: "n1" } })).toBeNull();
    expect(workloadOf({ owner: null })).toBeNull();
  });

  it("offers a shell on each node the listed pods run on, and on a node typed as node/NAME", () => {
    const nodes = (query: string, over: Partial<QuickSources> = {}) =>
      quickItems(sources({ pods: [pod("a", { node: "n1" }), pod("b", { node: "n1" }), pod("c", { node: "n2" }), pod("d")], ...over }), query).filter((i) => i.kind === "node");
    expect(nodes("").map((i) => [itemLabel(i), i.detail])).toEqual([
      ["node/n1", "a shell on the node · demo · 2 listed pods on it"],
      ["node/n2", "a shell on the node · demo · 1 listed pod on it"],
    ]);
    expect(nodes("")[0]).toMatchObject({ profile: "demo", namespace: "demo", node: "n1" });
    // Typed whole: offered though no listed pod runs there, first; a pod of a namespace named
    // "node" stays offered after it.
    const typed = quickItems(sources({ pods: [] }), "node/worker-9");
    expect(typed.filter((i) => i.kind === "node").map(itemLabel)).toEqual(["node/worker-9"]);
    expect(rank("node/worker-9", typed).map((r) => r.item.kind)).toEqual(["node", "typed"]);
    // A node typed in part ranks below the listed node it begins.
    const partial = quickItems(sources({ pods: [pod("a", { node: "n1-big" })] }), "node/n1");
    expect(rank("node/n1", partial).map((r) => `${r.item.kind}:${itemLabel(r.item)}`)).toEqual(["node:node/n1-big", "node:node/n1", "typed:node/n1"]);
    // Every namespace listed: the pod is made in the cluster's default namespace.
    expect(nodes("", { namespace: "\u0000all" })[0]).toMatchObject({ namespace: "" });
    // No cluster chosen: none.
    expect(nodes("", { profile: null })).toEqual([]);
  });
});
