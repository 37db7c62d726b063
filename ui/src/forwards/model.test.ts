import { describe, expect, it } from "vitest";
import type { ForwardInfo, ServiceSummary } from "../ipc/types";
import {
  declaredPortLabel,
  declaredPortValue,
  filterServices,
  forwardFollows,
  forwardStatus,
  forwardTarget,
  forwardTitle,
  forwardUrl,
  localProblem,
  portProblem,
  serviceChoice,
  serviceLookupName,
  servicePortLabel,
  servicePortValue,
  serviceRefusal,
  withForward,
} from "./model";

const f = (over: Partial<ForwardInfo> = {}): ForwardInfo => ({
  id: 1,
  profile: "Demo",
  namespace: "demo",
  pod: "web-1",
  remote: 80,
  portName: null,
  local: 8080,
  url: "http://127.0.0.1:8080/",
  connections: 0,
  open: 0,
  state: { state: "listening" },
  error: null,
  workload: null,
  note: null,
  revision: 0,
  restartable: false,
  waiting: false,
  service: null,
  ...over,
});

describe("the pod's port in the question", () => {
  it("takes a number or a container port's name", () => {
    for (const ok of ["80", "8080", "65535", "1", "http", "metrics", "grpc-web", "h2c"]) expect(portProblem(ok), ok).toBeNull();
  });
  it("refuses what is neither, in words", () => {
    expect(portProblem("")).toMatch(/^Name the port in the pod/);
    expect(portProblem("0")).toBe("0 is not a port: a port is a number from 1 to 65535");
    expect(portProblem("70000")).toMatch(/is not a port/);
    for (const bad of ["HTTP", "-http", "a_b", "8080:80", "averyveryverylongname", "12-"]) expect(portProblem(bad), bad).toMatch(/neither a port number nor a port's name/);
  });
});

describe("the local port in the question", () => {
  it("takes nothing (any free port) or a number", () => {
    for (const ok of ["", "  ", "1", "8080", "65535"]) expect(localProblem(ok), ok).toBeNull();
  });
  it("refuses the rest, in words", () => {
    for (const bad of ["0", "70000", "http", "80:80", "-1"]) expect(localProblem(bad), bad).toMatch(/is not a local port: a number from 1 to 65535, or empty for a free one$/);
  });
});

describe("the ports a pod declares, offered in the question", () => {
  const http = { container: "nginx", name: "http", port: 80 };
  const bare = { container: "nginx", name: null, port: 9113 };
  const metrics = { container: "exporter", name: "metrics", port: 9090 };
  it("picks a named port by its name (a followed forward finds it again in the next pod), else its number", () => {
    expect(declaredPortValue(http)).toBe("http");
    expect(declaredPortValue(bare)).toBe("9113");
  });
  it("names the container only when the ports are in more than one", () => {
    expect(declaredPortLabel(http, [http, bare])).toBe("http 80");
    expect(declaredPortLabel(bare, [http, bare])).toBe("9113");
    expect(declaredPortLabel(metrics, [http, metrics])).toBe("metrics 9090 \u00b7 exporter");
  });
});

describe("a forward in the list", () => {
  it("says where it listens and where it goes", () => {
    expect(forwardTitle(f())).toBe("127.0.0.1:8080 \u2192 web-1:80");
    expect(forwardUrl(f())).toBe("http://127.0.0.1:8080/");
  });
  it("says the port's name it was asked by, and the name alone when its number is not known", () => {
    expect(forwardTitle(f({ portName: "http" }))).toBe("127.0.0.1:8080 \u2192 web-1:80 (http)");
    expect(forwardTitle(f({ remote: 0, portName: "http", state: { state: "ended", reason: "not started again" } }))).toBe("127.0.0.1:8080 \u2192 web-1:http");
  });
  it("counts connections, says the last failure, and why it ended", () => {
    expect(forwardStatus(f())).toBe("demo \u00b7 0 connections");
    expect(forwardStatus(f({ connections: 1, open: 1 }))).toBe("demo \u00b7 1 connection, 1 open");
    expect(forwardStatus(f({ connections: 3, error: "connection refused" }))).toBe("demo \u00b7 3 connections \u2014 the last failed: connection refused");
    expect(forwardStatus(f({ state: { state: "ended", reason: "the pod web-1 was deleted" } }))).toBe("Ended: the pod web-1 was deleted");
  });
  it("never takes an older state for a newer one: an ended forward stays ended, a lower revision is older", () => {
    const ended = f({ connections: 2, revision: 3, state: { state: "ended", reason: "the pod web-1 was deleted" } });
    const list = withForward([ended], f({ connections: 2, revision: 4 }));
    expect(list[0]?.state.state).toBe("ended");
    const counted = withForward([f({ connections: 3, revision: 3 })], f({ connections: 0, revision: 0 }));
    expect(counted[0]?.connections).toBe(3);
    expect(withForward(counted, f({ connections: 4, open: 1, revision: 4 }))[0]).toMatchObject({ connections: 4, open: 1 });
    // A move changes no count: the start's answer (revision 0) arriving after it is older all the same.
    const moved = withForward([f()], f({ pod: "web-2", revision: 1, note: "moved from web-1: the pod web-1 was deleted" }));
    expect(withForward(moved, f())[0]?.pod).toBe("web-2");
  });
  it("says the workload it follows and its last move", () => {
    expect(forwardFollows(f())).toBe("");
    expect(forwardFollows(f({ workload: "deployment/web" }))).toBe("Follows deployment/web");
    expect(forwardFollows(f({ workload: "deployment/web", note: "x", state: { state: "ended", reason: "y" } }))).toBe("");
    expect(forwardFollows(f({ workload: "deployment/web", note: "moved from web-1: the pod web-1 was deleted" }))).toBe(
      "Follows deployment/web \u2014 moved from web-1: the pod web-1 was deleted",
    );
  });
  it("says a restored forward waiting for its pod is not listening yet, and what it waits for; then its running self takes the row", () => {
    const note = "no Ready pod of deployment/web yet: waiting up to 45 s for one";
    const starting = f({ state: { state: "starting" }, waiting: true, workload: "deployment/web", note, revision: 1 });
    expect(forwardStatus(starting)).toBe("demo \u00b7 starting again: not listening yet");
    expect(forwardFollows(starting)).toBe(`Waits: ${note}`);
    expect(forwardTitle(starting)).toBe("127.0.0.1:8080 \u2192 web-1:80");
    // Started (the same id, a newer revision): listening, on the pod it found; an older
    // starting state arriving late does not bring the wait back.
    const running = withForward([starting], f({ pod: "web-2", workload: "deployment/web", revision: 2 }));
    expect(running.map((x) => [x.id, x.state.state, x.pod])).toEqual([[1, "listening", "web-2"]]);
    expect(withForward(running, starting)[0]?.state.state).toBe("listening");
    // Its wait over with no Ready pod: ended in the row's place, and it stays so.
    const ended = withForward([starting], f({ state: { state: "ended", reason: "not started again: no Ready pod" }, restartable: true, revision: 2 }));
    expect(withForward(ended, starting)[0]?.state.state).toBe("ended");
  });
  it("keeps one row per forward, in id order", () => {
    const list = withForward(withForward([], f({ id: 2 })), f({ id: 1 }));
    expect(list.map((x) => x.id)).toEqual([1, 2]);
    const again = withForward(list, f({ id: 2, connections: 5, revision: 1 }));
    expect(again.map((x) => [x.id, x.connections])).toEqual([
      [1, 0],
      [2, 5],
    ]);
  });
});

describe("a forward through a Service", () => {
  const via = f({ pod: "web-2", remote: 8080, portName: "http", local: 80, workload: "service/web", service: { name: "web", port: 80 } });
  it("is titled by the Service's port, and says the pod and port it reaches now", () => {
    expect(forwardTitle(via)).toBe("127.0.0.1:80 \u2192 svc/web:80 (http)");
    expect(forwardTarget({ ...via, portName: null })).toBe("svc/web:80");
    expect(forwardFollows(via)).toBe("Reaches web-2:8080");
    expect(forwardFollows({ ...via, note: "moved from web-1: the pod web-1 was deleted" })).toBe("Reaches web-2:8080 \u2014 moved from web-1: the pod web-1 was deleted");
    expect(forwardFollows({ ...via, state: { state: "ended", reason: "gone" } })).toBe("");
    // Waiting for the Service's next pod: the pod gone is not one it reaches.
    const waiting = { ...via, waiting: true, note: "the pod web-2 was deleted: waiting for a Ready pod of service/web" };
    expect(forwardFollows(waiting)).toBe("Follows service/web \u2014 the pod web-2 was deleted: waiting for a Ready pod of service/web");
  });
  it("not started again, its Service's port by name when its number is not known", () => {
    expect(forwardTitle({ ...via, remote: 0, service: { name: "web", port: 0 } })).toBe("127.0.0.1:80 \u2192 svc/web:http");
  });
});

describe("the Services offered", () => {
  const svc = (over: Partial<ServiceSummary> = {}): ServiceSummary => ({ name: "web", kind: "ClusterIP", headless: false, selector: "app=web", ports: [], ...over });
  const port = (name: string | null, p: number, target: string, protocol = "TCP") => ({ name, port: p, target, protocol });
  it("label each port with where it goes in the pod when that differs", () => {
    expect(servicePortLabel(port("http", 80, "8080"))).toBe("http 80 \u2192 8080");
    expect(servicePortLabel(port(null, 9100, "9100"))).toBe("9100");
    expect(servicePortLabel(port("web", 443, "https"))).toBe("web 443 \u2192 https");
    expect(servicePortLabel(port("dns", 53, "53", "UDP"))).toBe("dns 53/UDP");
  });
  it("say the port chosen and where it goes", () => {
    expect(serviceChoice("web", port("http", 80, "8080"))).toBe("svc/web:80 (http) \u2192 the pods' port 8080");
    expect(serviceChoice("db", port(null, 5432, "pg"))).toBe("svc/db:5432 \u2192 the pods' port pg");
  });
  it("ask for a port by its name when it has one", () => {
    expect(servicePortValue(port("http", 80, "8080"))).toBe("http");
    expect(servicePortValue(port(null, 80, "8080"))).toBe("80");
  });
  it("say why a Service without a selector, or a UDP port, cannot be forwarded", () => {
    expect(serviceRefusal(svc())).toBeNull();
    expect(serviceRefusal(svc(), port("http", 80, "80"))).toBeNull();
    expect(serviceRefusal(svc({ name: "db", selector: null }))).toBe("db has no selector: it sends to no pods a forward could reach");
    expect(serviceRefusal(svc(), port("dns", 53, "53", "UDP"))).toBe("53 is a UDP port: a forward carries TCP only");
  });
  it("are filtered by every word, in the name, type or selector", () => {
    const all = [svc(), svc({ name: "db", selector: "app=postgres" }), svc({ name: "ext", kind: "ExternalName", selector: null })];
    expect(filterServices(all, "").map((s) => s.name)).toEqual(["web", "db", "ext"]);
    expect(filterServices(all, "POSTGRES").map((s) => s.name)).toEqual(["db"]);
    expect(filterServices(all, "external e").map((s) => s.name)).toEqual(["ext"]);
    expect(filterServices(all, "web nope")).toEqual([]);
  });
});

describe("a Service looked up by name past the first page", () => {
  it("is the filter's text when it can be a Service's name", () => {
    expect(serviceLookupName("  web-api ")).toBe("web-api");
    expect(serviceLookupName("a")).toBe("a");
    expect(serviceLookupName("a".repeat(63))).toBe("a".repeat(63));
  });
  it("is none for text no Service is named (words, capitals, a digit first, too long)", () => {
    for (const bad of ["", "web api", "Web", "9web", "web-", "-web", "web.api", "app=web", "a".repeat(64)]) expect(serviceLookupName(bad)).toBeNull();
  });
});
