import { describe, expect, it } from "vitest";
import { pod } from "./fixtures";
import { execRefusal, matchesFilter, parseCommand, pickNamespace, PodList, podRow, podStatus, visiblePods } from "./pods";

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
  it("refuses completed pods in kubectl's words", () => {
    expect(execRefusal(pod("job", { phase: "Succeeded" }))).toBe(
      "cannot exec into a container in a completed pod; current phase is Succeeded",
    );
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
