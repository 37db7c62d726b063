import { describe, expect, it } from "vitest";
import { ClusterPods } from "./everywhere";
import { pod } from "../sidebar/fixtures";
import type { PodChange, WatchStatus } from "../ipc/types";

/** A backend whose one all-pods watch the test drives. */
function watchOnce() {
  let onEvent: ((e: PodChange[]) => void) | null = null;
  let onStatus: ((s: WatchStatus) => void) | null = null;
  const stopped: number[] = [];
  const backend = {
    watchAllPods: async (_profile: string, e: (e: PodChange[]) => void, s: (s: WatchStatus) => void) => {
      onEvent = e;
      onStatus = s;
      return 7;
    },
    stopWatch: async (id: number) => {
      stopped.push(id);
    },
  };
  return {
    backend,
    stopped,
    event: (e: PodChange[]) => onEvent?.(e),
    status: (s: WatchStatus) => onStatus?.(s),
  };
}

describe("quick open's pods of every namespace", () => {
  it("are offered after the sidebar's, and a list that left some out says how to reach them", async () => {
    const w = watchOnce();
    let changes = 0;
    const pods = new ClusterPods(w.backend, "prod", () => changes++);
    await Promise.resolve();
    w.event([{ type: "Added", pod: pod("api", { namespace: "team-a" }) }]);
    expect(pods.pods([pod("web", { namespace: "demo" })]).map((p) => `${p.namespace}/${p.name}`)).toEqual([
      "demo/web",
      "team-a/api",
    ]);
    expect(pods.note).toBeNull();
    w.status({ kind: "broken", reason: "gone" });
    expect(pods.note).toBeNull();
    w.status({ kind: "capped", limit: 50000 });
    expect(pods.note).toBe(
      "Only 50,000 pods of prod are searched, the most a list holds. Type namespace/pod to open another by name.",
    );
    expect(changes).toBe(2);
    pods.stop();
    expect(w.stopped).toEqual([7]);
    w.status({ kind: "capped", limit: 1 });
    expect(pods.note).toContain("50,000");
  });
});
