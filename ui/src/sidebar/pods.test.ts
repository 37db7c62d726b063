import { describe, expect, it } from "vitest";
import { pod } from "./fixtures";
import { execRefusal, isCompleted, matchesFilter, parseCommand, pickNamespace, PodList, podListEmptyText, podRow, podStatus, podTooltip, podWindow, sortPods, visiblePods, WINDOW_FROM, WINDOW_MARGIN } from "./pods";

describe("PodList", () => {
  it("follows Added, Modified and Deleted events, sorted by name", () => {
    const list = new PodList();
    expect(list.apply({ type: "Added", pod: pod("web-2") })).toBe(true);
    list.apply({ type: "Added", pod: pod("db-0") });
    list.apply({ type: "Added", pod: pod("web-1") });
    expect(list.sorted().map((p) => p.name)).toEqual(["db-0", "web-1", "web-2"]);
    list.apply({ type: "Modified", pod: pod("web-1", { restarts: 4, ready: "0/1" }) });
    expect(list.get("web-1")).toMatchObject({ restarts: 4, ready: "0/1" });
    expect(list.apply({ type: "Deleted", pod: pod("web-2") })).toBe(true);
    expect(list.apply({ type: "Deleted", pod: pod("nope") })).toBe(false);
    expect(list.size).toBe(2);
    // A Modified for an unknown pod (missed Added) still shows it.
    list.apply({ type: "Modified", pod: pod("late") });
    expect(list.get("late")).toBeDefined();
    list.clear();
    expect(list.size).toBe(0);
  });
});

describe("PodList across namespaces", () => {
  it("keeps pods of the same name in two namespaces apart; a bare name finds the first", () => {
    const list = new PodList();
    list.apply({ type: "Added", pod: pod("app", { namespace: "b" }) });
    list.apply({ type: "Added", pod: pod("app", { namespace: "a" }) });
    expect(list.size).toBe(2);
    expect(list.sorted().map((p) => p.namespace)).toEqual(["a", "b"]);
    expect(list.get("b/app")?.namespace).toBe("b");
    expect(list.get("app")).toBeDefined();
    list.apply({ type: "Deleted", pod: pod("app", { namespace: "a" }) });
    expect(list.get("a/app")).toBeUndefined();
    expect(list.get("app")?.namespace).toBe("b");
    // A change keeps a pod's place among those of its name; gone and back, it comes last.
    list.apply({ type: "Added", pod: pod("app", { namespace: "c" }) });
    list.apply({ type: "Modified", pod: pod("app", { namespace: "b", restarts: 1 }) });
    expect(list.get("app")).toMatchObject({ namespace: "b", restarts: 1 });
    list.apply({ type: "Deleted", pod: pod("app", { namespace: "b" }) });
    list.apply({ type: "Added", pod: pod("app", { namespace: "b" }) });
    expect(list.get("app")?.namespace).toBe("c");
    list.apply({ type: "Deleted", pod: pod("app", { namespace: "c" }) });
    list.apply({ type: "Deleted", pod: pod("app", { namespace: "b" }) });
    expect(list.get("app")).toBeUndefined();
    list.apply({ type: "Added", pod: pod("app", { namespace: "d" }) });
    list.clear();
    expect(list.get("app")).toBeUndefined();
  });

  it("sorts by name, newest first, problems first or most restarts first; the tooltip says node and IPs", () => {
    const pods = [
      pod("b", { createdAt: "2025-01-02T00:00:00Z" }),
      pod("a", { createdAt: "2025-01-01T00:00:00Z" }),
      pod("c", { createdAt: "", phase: "Pending", reason: "Pending: ContainerCreating" }),
    ];
    expect(sortPods(pods, "name").map((p) => p.name)).toEqual(["a", "b", "c"]);
    expect(sortPods(pods, "age").map((p) => p.name)).toEqual(["b", "a", "c"]);
    expect(sortPods(pods, "status").map((p) => p.name)).toEqual(["c", "a", "b"]);
    const restarted = [pod("a", { restarts: 2 }), pod("b", { restarts: 17 }), pod("c", { restarts: 0 }), pod("d", { restarts: 2 })];
    expect(sortPods(restarted, "restarts").map((p) => p.name)).toEqual(["b", "a", "d", "c"]);
    expect(podTooltip(pod("a", { node: "n1", ips: ["10.0.0.9", "fd00::9"] }))).toBe("demo/a\nnode: n1\nIP: 10.0.0.9, fd00::9");
    expect(podTooltip(pod("p", { node: null, ips: [], reason: "Pending: Unschedulable" }))).toBe("demo/p\nnode: (not scheduled)\nIP: (none yet)\nPending: Unschedulable");
  });
});

describe("podWindow", () => {
  it("draws a short list whole, and of a long one the rows in view and a margin each side", () => {
    expect(podWindow(WINDOW_FROM, 5000, 400, 40)).toEqual({ from: 0, to: WINDOW_FROM });
    expect(podWindow(3000, 0, 400, 40)).toEqual({ from: 0, to: 10 + WINDOW_MARGIN });
    // Rows 100–110 in view.
    expect(podWindow(3000, 4000, 400, 40)).toEqual({ from: 100 - WINDOW_MARGIN, to: 110 + WINDOW_MARGIN });
    // At the end, and scrolled past a list that shrank: the last rows.
    expect(podWindow(3000, 119_600, 400, 40)).toEqual({ from: 2990 - WINDOW_MARGIN, to: 3000 });
    expect(podWindow(200, 119_600, 400, 40)).toEqual({ from: 200 - 10 - WINDOW_MARGIN, to: 200 });
    // No height known yet (a hidden sidebar): everything.
    expect(podWindow(3000, 0, 400, 0)).toEqual({ from: 0, to: 3000 });
  });
});

describe("pod rows and filter", () => {
  const now = Date.parse("2025-01-10T12:00:00Z");
  it("shows status, ready, restarts and a kubectl age", () => {
    expect(podRow(pod("a", { restarts: 3 }), now)).toEqual({ name: "a", status: "Running", ready: "1/1", restarts: "3", age: "5m" });
    expect(podStatus(pod("a", { terminating: true }))).toBe("Terminating");
  });
  it("matches every word against name, status and containers, ignoring case", () => {
    const p = pod("web-7c9d", { containers: ["nginx", "log-shipper"] });
    expect(matchesFilter(p, "")).toBe(true);
    expect(matchesFilter(p, "  ")).toBe(true);
    expect(matchesFilter(p, "WEB")).toBe(true);
    expect(matchesFilter(p, "web nginx")).toBe(true);
    expect(matchesFilter(p, "running")).toBe(true);
    expect(matchesFilter(p, "web db")).toBe(false);
    const list = new PodList();
    for (const n of ["web-1", "db-0", "web-0"]) list.apply({ type: "Added", pod: pod(n) });
    expect(visiblePods(list, "web").map((x) => x.name)).toEqual(["web-0", "web-1"]);
  });
  it("does not refuse a completed pod before trying (its tab offers a copy), and knows it completed", () => {
    for (const phase of ["Succeeded", "Failed"]) {
      expect(execRefusal(pod("job", { phase }))).toBeNull();
      expect(isCompleted(pod("job", { phase }))).toBe(true);
    }
    expect(isCompleted(pod("x"))).toBe(false);
    expect(isCompleted(pod("p", { phase: "Pending" }))).toBe(false);
    expect(execRefusal(pod("x"))).toBeNull();
  });
});

describe("parseCommand", () => {
  it.each([
    ["", null],
    ["   ", null],
    ["ls", ["ls"]],
    ["ls -la  /tmp", ["ls", "-la", "/tmp"]],
    [`sh -c "echo hi; exit 3"`, ["sh", "-c", "echo hi; exit 3"]],
    [`echo 'a  b' c\\ d`, ["echo", "a  b", "c d"]],
    [`echo ""`, ["echo", ""]],
    [`printf "%s\\"x"`, ["printf", '%s"x']],
  ])("%j", (text, want) => {
    expect(parseCommand(text)).toEqual(want);
  });
});

describe("pickNamespace", () => {
  it("prefers the profile's namespace, then default, then the first", () => {
    expect(pickNamespace(["a", "default", "demo"], "demo")).toBe("demo");
    expect(pickNamespace(["a", "default"], "gone")).toBe("default");
    expect(pickNamespace(["b", "a"], null)).toBe("b");
    expect(pickNamespace([], "mine")).toBe("mine");
    expect(pickNamespace([], null)).toBeNull();
  });
});

// A fake backend: answers at once, records calls, lets the test push pod events.

describe("honest pod states", () => {
  it("the status column says why a pod is not Ready, in kubectl's word", () => {
    expect(podStatus(pod("a", { phase: "Pending", ready: "0/1", reason: "Pending: ContainerCreating" }))).toBe("ContainerCreating");
    expect(podStatus(pod("b", { ready: "0/1", reason: "not Ready: container app waiting: CrashLoopBackOff" }))).toBe("CrashLoopBackOff");
    expect(podStatus(pod("c", { ready: "0/1", reason: "not Ready: container app not ready" }))).toBe("Running");
    expect(podStatus(pod("d", { phase: "Pending", reason: "Pending" }))).toBe("Pending");
    expect(podStatus(pod("e", { terminating: true, reason: "terminating" }))).toBe("Terminating");
    expect(podStatus(pod("f"))).toBe("Running");
  });

  it("a Pending pod is refused with why, before the API server's BadRequest", () => {
    expect(execRefusal(pod("web-1", { phase: "Pending", ready: "0/1", reason: "Pending: ImagePullBackOff" }))).toBe(
      "web-1 is Pending (ImagePullBackOff): its containers are not running yet; a shell can be opened once it is Running",
    );
    expect(execRefusal(pod("web-2", { phase: "Pending", reason: "Pending" }))).toBe(
      "web-2 is Pending: its containers are not running yet; a shell can be opened once it is Running",
    );
    expect(execRefusal(pod("ok"))).toBeNull();
  });

  it("after a refused list the pods are unknown, not 'No pods in default.'", () => {
    const base = { profile: "prod", profilesLoaded: true, namespace: "default", busy: false, loading: false, total: 0, shown: 0, filter: "" };
    expect(podListEmptyText({ ...base, unlisted: "forbidden" })).toMatch(/^Listing the pods in default is forbidden/);
    expect(podListEmptyText({ ...base, unlisted: "failed" })).toBe("The pods in default could not be listed: they are unknown.");
    expect(podListEmptyText({ ...base, unlisted: null })).toBe("No pods in default.");
    expect(podListEmptyText({ ...base, unlisted: null, total: 3, shown: 0, filter: "x" })).toBe('No pod matches "x".');
    expect(podListEmptyText({ ...base, unlisted: null, total: 3, shown: 3 })).toBe("");
  });
});
