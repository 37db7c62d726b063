import { describe, expect, it } from "vitest";
import type { FavouriteSummary, PodSummary } from "../ipc/types";
import { favouriteWhere, movedOrder, placeholderTarget, podOwnedBy, savedNotice } from "./favourite";

function fav(name: string, extra: Partial<FavouriteSummary> = {}): FavouriteSummary {
  return { name, profile: "demo", namespace: "demo", kind: "deployment", target: name, container: null, command: [], debug: false, ...extra };
}

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
    ephemeralContainers: [],
    defaultContainer: "main",
    terminating: false,
    owner,
    reason: null,
    node: null,
    ips: [],
    ports: [],
  };
  return p;
}

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
    // A Job's (`podterm favourite add NAME job/migrate`): its pods name it.
    const job = fav("m", { kind: "job", target: "migrate" });
    expect(podOwnedBy(job, "demo", "demo", podOf("migrate-x7kq2", { kind: "Job", name: "migrate" }))).toBe(true);
    expect(podOwnedBy(job, "demo", "demo", podOf("migrate-x7kq2", { kind: "Job", name: "migrate-2" }))).toBe(false);
    const bareRs = fav("x", { kind: "replicaset", target: "web-7c9d6b5f4" });
    expect(podOwnedBy(bareRs, "demo", "demo", webPod)).toBe(true);
    expect(podOwnedBy(fav("a.b", { target: "a.b" }), "demo", "demo", podOf("axb-7c9d6b5f4-kx2lp", rs("axb-7c9d6b5f4")))).toBe(false);
  });
});
